import net from 'node:net';
import tls from 'node:tls';

import { MailIntelError } from '../errors';
import { encodeCommand, RespError, RespParser, type RespValue } from './resp';

export interface RedisOptions {
	host: string;
	port: number;
	username?: string;
	password?: string;
	db?: number;
	/** TLS, verified against the system's CAs unless `rejectUnauthorized` is false. */
	tls?: { servername?: string; rejectUnauthorized?: boolean };
	/** Connect and per-command timeout. */
	timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

interface Pending {
	resolve(value: RespValue): void;
	reject(error: Error): void;
}

/**
 * A small Redis client for the pack's few single-key commands (SET NX PX, GET, EVAL): one
 * connection, commands pipelined in order, AUTH and SELECT on connect, a timeout on connect and
 * on every command, and a fresh connection after any failure. A cluster's `-MOVED` answer is
 * followed to the node it names (each command touches one key).
 */
export class RedisClient {
	private connection?: Promise<Connection>;

	constructor(private readonly options: RedisOptions) {}

	async command(args: Array<string | number>): Promise<RespValue> {
		const reply = await this.send(this.options, args);
		if (reply instanceof RespError) {
			const moved = /^MOVED \d+ (\S+):(\d+)$/.exec(reply.message);
			if (moved) return this.followMoved(moved[1], Number(moved[2]), args);
			throw redisError(`Redis answered ${reply.message}`, undefined, false);
		}
		return reply;
	}

	close(): void {
		void this.connection?.then((connection) => connection.close()).catch(() => undefined);
		this.connection = undefined;
	}

	private async send(options: RedisOptions, args: Array<string | number>): Promise<RespValue> {
		this.connection ??= Connection.open(options);
		const opened = this.connection;
		try {
			return await (await opened).send(args);
		} catch (error) {
			// A broken or timed-out connection is not reused: the next command opens a new one.
			if (this.connection === opened) this.connection = undefined;
			void opened.then((connection) => connection.close()).catch(() => undefined);
			throw error;
		}
	}

	private async followMoved(
		host: string,
		port: number,
		args: Array<string | number>,
	): Promise<RespValue> {
		const node = await Connection.open({ ...this.options, host, port });
		try {
			const reply = await node.send(args);
			if (reply instanceof RespError)
				throw redisError(`Redis answered ${reply.message}`, undefined, false);
			return reply;
		} finally {
			node.close();
		}
	}
}

class Connection {
	private readonly parser = new RespParser();
	private readonly pending: Pending[] = [];
	private failed?: Error;

	private constructor(
		private readonly socket: net.Socket,
		private readonly timeoutMs: number,
	) {
		socket.on('data', (chunk: Buffer) => {
			let replies: RespValue[];
			try {
				replies = this.parser.push(chunk);
			} catch (error) {
				this.fail(redisError((error as Error).message, error, true));
				return;
			}
			for (const reply of replies) this.pending.shift()?.resolve(reply);
		});
		socket.on('error', (error) =>
			this.fail(redisError(`Redis connection failed: ${error.message}`, error, true)),
		);
		socket.on('close', () => this.fail(redisError('Redis closed the connection', undefined, true)));
	}

	static async open(options: RedisOptions): Promise<Connection> {
		const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
		const socket = await connectSocket(options, timeoutMs);
		const connection = new Connection(socket, timeoutMs);
		try {
			if (options.password !== undefined && options.password !== '') {
				const auth = options.username
					? ['AUTH', options.username, options.password]
					: ['AUTH', options.password];
				const answer = await connection.send(auth);
				if (answer instanceof RespError)
					throw redisError(
						`Redis refused the credentials (${answer.message.split(' ')[0]})`,
						undefined,
						false,
					);
			}
			if (options.db) {
				const answer = await connection.send(['SELECT', options.db]);
				if (answer instanceof RespError)
					throw redisError(
						`Redis refused SELECT ${options.db}: ${answer.message}`,
						undefined,
						false,
					);
			}
			return connection;
		} catch (error) {
			connection.close();
			throw error;
		}
	}

	send(args: Array<string | number>): Promise<RespValue> {
		if (this.failed) return Promise.reject(this.failed);
		return new Promise<RespValue>((resolve, reject) => {
			const timer = setTimeout(
				() =>
					this.fail(
						redisError(`Redis did not answer within ${this.timeoutMs} ms`, undefined, true),
					),
				this.timeoutMs,
			);
			this.pending.push({
				resolve: (value) => {
					clearTimeout(timer);
					resolve(value);
				},
				reject: (error) => {
					clearTimeout(timer);
					reject(error);
				},
			});
			this.socket.write(encodeCommand(args));
		});
	}

	close(): void {
		this.socket.destroy();
	}

	private fail(error: Error): void {
		this.failed ??= error;
		this.socket.destroy();
		for (const waiting of this.pending.splice(0)) waiting.reject(this.failed);
	}
}

function connectSocket(options: RedisOptions, timeoutMs: number): Promise<net.Socket> {
	return new Promise<net.Socket>((resolve, reject) => {
		const socket = options.tls
			? tls.connect({
					host: options.host,
					port: options.port,
					// SNI takes a host name only (RFC 6066); the certificate is checked against `host` either way.
					...(options.tls.servername || !net.isIP(options.host)
						? { servername: options.tls.servername || options.host }
						: {}),
					rejectUnauthorized: options.tls.rejectUnauthorized !== false,
				})
			: net.connect({ host: options.host, port: options.port });
		const timer = setTimeout(() => {
			socket.destroy();
			reject(
				redisError(
					`Redis at ${options.host}:${options.port} did not accept a connection within ${timeoutMs} ms`,
					undefined,
					true,
				),
			);
		}, timeoutMs);
		socket.once(options.tls ? 'secureConnect' : 'connect', () => {
			clearTimeout(timer);
			socket.removeAllListeners('error');
			socket.setNoDelay(true);
			resolve(socket);
		});
		socket.once('error', (error) => {
			clearTimeout(timer);
			socket.destroy();
			reject(redisError(`Redis at ${options.host}:${options.port}: ${error.message}`, error, true));
		});
	});
}

function redisError(message: string, cause: unknown, retryable: boolean): MailIntelError {
	return new MailIntelError(message, {
		source: 'redis',
		code: retryable ? 'REDIS_UNAVAILABLE' : 'REDIS_REFUSED',
		retryable,
		hint: retryable
			? "The pack shares webhook passes through the Redis of n8n's queue mode (QUEUE_BULL_REDIS_*): check that every n8n process reaches it"
			: 'Check the QUEUE_BULL_REDIS_* settings of this n8n process',
		cause,
	});
}
