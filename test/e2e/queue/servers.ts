// Throwaway PostgreSQL and Redis on loopback for n8n's queue mode (README "Queue mode"), the way
// test/imap/dovecot.ts runs Dovecot: Debian's binaries (installed by
// test/system/ensure-queue-servers.js), a lab folder under test/.lab/ (gitignored), free ports,
// no persistence, each server the leader of its own process group so stop() (or the test
// process exiting, test/e2e/processes.ts) takes all of it down.
//
// PostgreSQL refuses to run as root. When the tests run as root, the cluster belongs to the
// `postgres` account the Debian package creates, and initdb/postgres run through
// `runuser -u postgres`; as any other user they run as that user.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { ensureQueueServersInstalled } from '../../system/ensure-queue-servers';
import { freePorts, spawnGroup, type Spawned } from '../processes';

const LAB_ROOT = path.resolve(__dirname, '..', '..', '.lab');
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;

export interface LabServer {
	host: string;
	port: number;
	/** everything the server printed */
	log(): string;
	/** SIGKILL to its process group and removal of its lab folder */
	stop(): Promise<void>;
}

export interface PostgresServer extends LabServer {
	user: string;
	database: string;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** `command args` as the account that owns the cluster (see the file's comment). */
function asOwner(command: string, args: string[]): [string, string[]] {
	return isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

function newLab(prefix: string): string {
	fs.mkdirSync(LAB_ROOT, { recursive: true });
	const lab = fs.mkdtempSync(path.join(LAB_ROOT, prefix));
	fs.chmodSync(lab, 0o755);
	return lab;
}

function collect(proc: Spawned): () => string {
	let output = '';
	const keep = (chunk: Buffer) => {
		output = (output + chunk.toString()).slice(-200_000);
	};
	proc.child.stdout?.on('data', keep);
	proc.child.stderr?.on('data', keep);
	return () => output;
}

/** Resolves once something accepts TCP connections on the port; fails if the process ends first. */
async function waitForPort(port: number, proc: Spawned, log: () => string, what: string) {
	let exitCode: number | undefined;
	void proc.exited.then((code) => (exitCode = code));
	const deadline = Date.now() + START_TIMEOUT_MS;
	for (;;) {
		if (exitCode !== undefined)
			throw new Error(`${what} exited (code ${exitCode}) before it listened:\n${log()}`);
		const open = await new Promise<boolean>((resolve) => {
			const socket = net.connect(port, HOST);
			socket.once('connect', () => {
				socket.destroy();
				resolve(true);
			});
			socket.once('error', () => resolve(false));
		});
		if (open) return;
		if (Date.now() > deadline) {
			await proc.stop(1_000);
			throw new Error(
				`${what} did not listen on ${HOST}:${port} within ${START_TIMEOUT_MS / 1000} s:\n${log()}`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/**
 * A fresh PostgreSQL cluster: trust authentication on loopback only (no password to leak, no
 * other interface), durability off (fsync, synchronous_commit) because the data dies with the
 * test. n8n connects as `n8n` to the database `n8n`.
 */
export async function startPostgres(): Promise<PostgresServer> {
	const { postgresBinDir } = ensureQueueServersInstalled();
	const lab = newLab('postgres-');
	const data = path.join(lab, 'data');
	const socketDir = path.join(lab, 'run');
	fs.mkdirSync(socketDir);
	if (isRoot()) spawnSync('chown', ['-R', 'postgres:postgres', lab]);
	const [initdb, initArgs] = asOwner(path.join(postgresBinDir, 'initdb'), [
		'-D',
		data,
		'-U',
		'n8n',
		'--auth=trust',
		'--encoding=UTF8',
		'--no-sync',
	]);
	const init = spawnSync(initdb, initArgs, { encoding: 'utf8' });
	if (init.status !== 0) {
		fs.rmSync(lab, { recursive: true, force: true });
		throw new Error(`initdb failed (exit ${init.status}):\n${init.stdout}${init.stderr}`);
	}
	const [port] = await freePorts(1);
	const [postgres, args] = asOwner(path.join(postgresBinDir, 'postgres'), [
		'-D',
		data,
		'-h',
		HOST,
		'-p',
		String(port),
		'-k',
		socketDir,
		'-c',
		'fsync=off',
		'-c',
		'synchronous_commit=off',
		'-c',
		'full_page_writes=off',
	]);
	const proc = spawnGroup(postgres, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	const log = collect(proc);
	const stop = async () => {
		await proc.stop(5_000);
		fs.rmSync(lab, { recursive: true, force: true });
	};
	try {
		await waitForPort(port, proc, log, 'PostgreSQL');
		const [createdb, createArgs] = asOwner(path.join(postgresBinDir, 'createdb'), [
			'-h',
			HOST,
			'-p',
			String(port),
			'-U',
			'n8n',
			'n8n',
		]);
		const created = spawnSync(createdb, createArgs, { encoding: 'utf8' });
		if (created.status !== 0)
			throw new Error(
				`createdb n8n failed (exit ${created.status}):\n${created.stdout}${created.stderr}`,
			);
	} catch (error) {
		await stop();
		throw error;
	}
	return { host: HOST, port, user: 'n8n', database: 'n8n', log, stop };
}

/** A Redis with no persistence (no RDB, no AOF): Bull's queue for n8n's jobs lives and dies with the test. */
export async function startRedis(options: { password?: string } = {}): Promise<LabServer> {
	const { redisServer } = ensureQueueServersInstalled();
	const lab = newLab('redis-');
	const [port] = await freePorts(1);
	const proc = spawnGroup(
		redisServer,
		[
			...['--bind', HOST, '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', lab],
			...(options.password ? ['--requirepass', options.password] : []),
		],
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	const log = collect(proc);
	const stop = async () => {
		await proc.stop(5_000);
		fs.rmSync(lab, { recursive: true, force: true });
	};
	try {
		await waitForPort(port, proc, log, 'Redis');
	} catch (error) {
		await stop();
		throw error;
	}
	return { host: HOST, port, log, stop };
}
