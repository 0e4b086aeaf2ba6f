import net from 'node:net';
import type { Readable } from 'node:stream';

import { MailIntelError, errorMessage } from '../errors';
import { DEFAULT_SCAN_TIMEOUT_MS } from './run';
import type { EngineVerdict, ScanEngine, ScanInput } from './types';

export interface ClamdOptions {
	/** TCP: host and port (clamd's TCPAddr/TCPSocket). */
	host?: string;
	port?: number;
	/** Or a Unix socket (clamd's LocalSocket); wins over host/port when set. */
	socketPath?: string;
	/** Longest silence from clamd (connect, while sending, waiting for the verdict). */
	timeoutMs?: number;
}

export const DEFAULT_CLAMD_PORT = 3310;
/** clamd answers a reply of one line; anything longer is not clamd. */
const MAX_REPLY_BYTES = 64 * 1024;
const END_OF_STREAM = Buffer.alloc(4);

/**
 * ClamAV's clamd as a ScanEngine, speaking its socket protocol (clamd(8)) directly: a dozen
 * lines of framing instead of a client package. `zINSTREAM\0`, then each chunk as a 4-byte
 * big-endian length and the bytes, then a zero length; clamd answers one NUL-terminated line:
 * `stream: OK`, `stream: <signature> FOUND`, or `<reason> ERROR` (StreamMaxLength passed:
 * `INSTREAM size limit exceeded. ERROR`). The bytes stream through with back-pressure.
 */
export class ClamdEngine implements ScanEngine {
	readonly name = 'clamav' as const;

	constructor(private readonly options: ClamdOptions) {}

	async scan(input: ScanInput): Promise<EngineVerdict> {
		let reply: string;
		try {
			reply = await this.session(
				async (socket) => sendStream(socket, INSTREAM, await input.open()),
				undefined,
				input.signal,
			);
		} catch (error) {
			if (await this.closedForSize(error)) return { verdict: 'NotScanned', reason: 'size' };
			throw error;
		}
		return parseInstreamReply(reply);
	}

	/**
	 * clamd answers "INSTREAM size limit exceeded" and closes while we are still writing. Node
	 * destroys a socket whose write failed before reading what arrived, so the reply can be lost
	 * (often over a Unix socket). A write cut off by clamd (EPIPE/ECONNRESET) while clamd itself
	 * still answers PING is that limit: clamd ends an INSTREAM early for nothing else while the
	 * bytes keep coming (its idle timeouts cannot run out mid-stream).
	 */
	private async closedForSize(error: unknown): Promise<boolean> {
		const code = (error as MailIntelError)?.code;
		if (code !== 'EPIPE' && code !== 'ECONNRESET') return false;
		try {
			await this.ping();
			return true;
		} catch {
			return false;
		}
	}

	/** PING → PONG: the credential test. */
	async ping(): Promise<void> {
		const reply = await this.session(async () => undefined, 'zPING\0');
		if (reply !== 'PONG')
			throw new MailIntelError(`clamd answered PING with "${reply.slice(0, 80)}"`, {
				source: 'clamav',
				code: 'BAD_RESPONSE',
				field: this.options.socketPath ? 'socketPath' : 'host',
				hint: 'Check that the host/port or socket path point at clamd.',
			});
	}

	/** `ClamAV 1.4.3/27xxx/...` */
	async version(): Promise<string> {
		return this.session(async () => undefined, 'zVERSION\0');
	}

	/**
	 * One connection: the command (written here, or by `send` with the body when `command` is
	 * undefined), then the reply up to its NUL.
	 * clamd may answer and close before it has read everything (a size limit): a failed write is
	 * then not the failure, the reply is.
	 */
	private session(
		send: (socket: net.Socket) => Promise<void>,
		command: string | undefined,
		signal?: AbortSignal,
	): Promise<string> {
		const where = this.where();
		const timeoutMs = this.options.timeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS;
		return new Promise<string>((resolve, reject) => {
			const socket = this.options.socketPath
				? net.connect({ path: this.options.socketPath })
				: net.connect({
						host: this.options.host ?? '127.0.0.1',
						port: this.options.port ?? DEFAULT_CLAMD_PORT,
					});
			const chunks: Buffer[] = [];
			let size = 0;
			let settled = false;
			let sendError: unknown;
			const settle = (error: unknown, reply?: string) => {
				if (settled) return;
				settled = true;
				signal?.removeEventListener('abort', onAbort);
				socket.destroy();
				if (reply !== undefined) resolve(reply);
				else reject(this.failure(error, where));
			};
			const onAbort = () => settle(signal?.reason ?? new Error('aborted'));
			signal?.addEventListener('abort', onAbort, { once: true });
			socket.setTimeout(timeoutMs, () =>
				settle(
					Object.assign(new Error(`clamd was silent for ${timeoutMs} ms`), { code: 'TIMEOUT' }),
				),
			);
			socket.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > MAX_REPLY_BYTES)
					return settle(
						Object.assign(new Error('the reply is too long'), { code: 'BAD_RESPONSE' }),
					);
				chunks.push(chunk);
				const text = Buffer.concat(chunks).toString('utf8');
				const end = text.indexOf('\0');
				if (end >= 0) settle(undefined, text.slice(0, end).trim());
			});
			// clamd may reset the connection right after its reply (a size limit, while we still
			// write): whatever reply arrived is the answer; only without one is the error.
			socket.on('error', (error) => {
				sendError ??= error;
			});
			socket.on('close', () => {
				const text = Buffer.concat(chunks).toString('utf8').replace(/\0$/, '').trim();
				if (text) settle(undefined, text);
				else
					settle(
						sendError ??
							Object.assign(new Error('clamd closed the connection without a reply'), {
								code: 'ECONNRESET',
							}),
					);
			});
			socket.once('connect', () => {
				if (command !== undefined) socket.write(command);
				send(socket).then(
					() => undefined,
					(error: unknown) => {
						sendError ??= error;
						// Our side failed (the source stream): close, keeping any reply already sent.
						socket.end();
					},
				);
			});
		});
	}

	private where(): string {
		return this.options.socketPath
			? `the Unix socket ${this.options.socketPath}`
			: `${this.options.host ?? '127.0.0.1'}:${this.options.port ?? DEFAULT_CLAMD_PORT}`;
	}

	private failure(error: unknown, where: string): MailIntelError {
		if (error instanceof MailIntelError) return error;
		const code = (error as NodeJS.ErrnoException)?.code ?? 'NETWORK';
		const field = this.options.socketPath ? 'socketPath' : 'host';
		if (code === 'ENOENT' || code === 'EACCES')
			return new MailIntelError(`clamd: cannot open ${where} (${code})`, {
				source: 'clamav',
				code,
				field,
				cause: error,
				hint: 'Check the socket path, and that the n8n user may open it (clamd LocalSocketMode / LocalSocketGroup).',
			});
		return new MailIntelError(`clamd at ${where}: ${errorMessage(error)}`, {
			source: 'clamav',
			code,
			retryable: ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'TIMEOUT', 'ETIMEDOUT'].includes(code),
			cause: error,
			hint:
				code === 'ECONNREFUSED'
					? `Nothing listens on ${where}: check that clamd runs with TCPSocket/TCPAddr (or LocalSocket) set and the credential's host and port.`
					: 'clamd failed or went away mid-scan; the scan is retried.',
		});
	}
}

const INSTREAM = 'zINSTREAM\0';

/**
 * INSTREAM with back-pressure: the command, each chunk as its length and bytes, then a zero
 * length. Listeners rather than `for await` (an async iterator per file showed in the profile),
 * and the command goes out with the first chunk in one writev: one packet for clamd to read
 * instead of two for a small file.
 */
function sendStream(socket: net.Socket, command: string, source: Readable): Promise<void> {
	return new Promise<void>((resolve, reject) => {
		let commandSent = false;
		const sendCommand = () => {
			if (!commandSent) socket.write(command);
			commandSent = true;
		};
		const closed = () => source.destroy();
		const done = (error?: unknown) => {
			socket.off('close', closed);
			if (error) reject(error);
			else resolve();
		};
		socket.once('close', closed);
		source.on('data', (bytes: Buffer) => {
			if (bytes.length === 0) return;
			if (socket.destroyed) return void source.destroy();
			const header = Buffer.allocUnsafe(4);
			header.writeUInt32BE(bytes.length);
			socket.cork();
			sendCommand();
			socket.write(header);
			const room = socket.write(bytes);
			socket.uncork();
			if (!room) {
				source.pause();
				socket.once('drain', () => source.resume());
			}
		});
		source.once('end', () => {
			if (!socket.destroyed) {
				sendCommand();
				socket.write(END_OF_STREAM);
			}
			done();
		});
		source.once('error', done);
		// Destroyed without an error (the socket closed under it): nothing more will come.
		source.once('close', () => {
			if (!source.readableEnded)
				done(Object.assign(new Error('clamd closed the connection'), { code: 'EPIPE' }));
		});
	});
}

const FOUND = /^stream: (.+) FOUND$/;

/** clamd's INSTREAM answer as a verdict; an ERROR other than the size limit is thrown. */
export function parseInstreamReply(reply: string): EngineVerdict {
	if (reply === 'stream: OK') return { verdict: 'Benign' };
	const found = FOUND.exec(reply);
	if (found) return { verdict: 'Malicious', threatType: found[1]!, reason: reply };
	if (reply.endsWith('ERROR')) {
		if (/size limit exceeded/i.test(reply)) return { verdict: 'NotScanned', reason: 'size' };
		throw new MailIntelError(`clamd could not scan the file: ${reply}`, {
			source: 'clamav',
			code: 'SCAN_ERROR',
			hint: 'See the clamd log; limits such as MaxScanSize, MaxFileSize or MaxRecursion apply.',
		});
	}
	throw new MailIntelError(`clamd answered "${reply.slice(0, 120)}"`, {
		source: 'clamav',
		code: 'BAD_RESPONSE',
		hint: 'Check that the host/port or socket path point at clamd.',
	});
}
