// A real clamd for one test file (README "Tests against a real clamd"): its own lab folder under
// test/.lab/, a TCP port on loopback and a Unix socket, and a signature database the test writes
// (EICAR's MD5 in a .hdb, one body signature in a .ndb). No freshclam, nothing downloaded.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { EICAR } from '../fixtures/eicar';
import { CLAMD, ensureClamdInstalled } from './ensure-clamd';

export interface ClamdServer {
	host: string;
	port: number;
	socketPath: string;
	lab: string;
	/** What clamd reports for EICAR (the .hdb signature; clamd appends `.UNOFFICIAL`). */
	eicarSignature: string;
	/** Bytes that match the custom .ndb body signature, and the name clamd reports for them. */
	customMarker: Buffer;
	customSignature: string;
	/** clamd's StreamMaxLength in bytes. */
	streamMaxLength: number;
	stop(): Promise<void>;
}

export interface ClamdStartOptions {
	/** Default 1 MiB, so an over-limit stream is cheap to send. */
	streamMaxLength?: number;
	/** clamd's scanning threads (MaxThreads). */
	maxThreads?: number;
}

const HOST = '127.0.0.1';
const LAB_ROOT = path.resolve(__dirname, '..', '.lab');
const READY_TIMEOUT_MS = 120_000;
const HDB_NAME = 'Email-Intel-Test-EICAR';
const NDB_NAME = 'Email-Intel-Test-Body';
const CUSTOM_MARKER = Buffer.from('EMAIL-INTEL-CLAMD-CUSTOM-SIGNATURE-7f3a91c2');

const running = new Set<ChildProcess>();
process.once('exit', () => {
	// A test that forgot stop() must not leave a clamd behind.
	for (const child of running) child.kill('SIGKILL');
});

export async function startClamd(options: ClamdStartOptions = {}): Promise<ClamdServer> {
	ensureClamdInstalled();
	fs.mkdirSync(LAB_ROOT, { recursive: true });
	const lab = fs.mkdtempSync(path.join(LAB_ROOT, 'clamd-'));
	const db = path.join(lab, 'db');
	fs.mkdirSync(db);
	fs.mkdirSync(path.join(lab, 'tmp'));
	const md5 = createHash('md5').update(EICAR).digest('hex');
	// .hdb: md5:size:name (sigtool --md5 writes the same line).
	fs.writeFileSync(path.join(db, 'test.hdb'), `${md5}:${EICAR.length}:${HDB_NAME}\n`);
	// .ndb: name:target type (0 = any file):offset (* = anywhere):hex body.
	fs.writeFileSync(path.join(db, 'test.ndb'), `${NDB_NAME}:0:*:${CUSTOM_MARKER.toString('hex')}\n`);
	const port = await freePort();
	const socketPath = path.join(lab, 'clamd.sock');
	const streamMaxLength = options.streamMaxLength ?? 1024 * 1024;
	const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	const conf = path.join(lab, 'clamd.conf');
	fs.writeFileSync(
		conf,
		[
			'Foreground yes',
			`DatabaseDirectory ${db}`,
			`TemporaryDirectory ${path.join(lab, 'tmp')}`,
			`LogFile ${path.join(lab, 'clamd.log')}`,
			`PidFile ${path.join(lab, 'clamd.pid')}`,
			`TCPSocket ${port}`,
			`TCPAddr ${HOST}`,
			`LocalSocket ${socketPath}`,
			`StreamMaxLength ${streamMaxLength}`,
			`MaxThreads ${options.maxThreads ?? 4}`,
			'Bytecode no',
			...(isRoot ? ['User root'] : []),
			'',
		].join('\n'),
	);
	const child = spawn(CLAMD, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
	running.add(child);
	let output = '';
	child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const stop = async () => {
		if (running.delete(child)) {
			child.kill('SIGKILL');
			await exited;
		}
		fs.rmSync(lab, { recursive: true, force: true });
	};
	try {
		await waitForPong(port, child, () => output);
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		host: HOST,
		port,
		socketPath,
		lab,
		eicarSignature: `${HDB_NAME}.UNOFFICIAL`,
		customMarker: CUSTOM_MARKER,
		customSignature: `${NDB_NAME}.UNOFFICIAL`,
		streamMaxLength,
		stop,
	};
}

/** Polls `zPING` until clamd answers PONG (it loads its database first). */
async function waitForPong(port: number, child: ChildProcess, log: () => string): Promise<void> {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	while (Date.now() < deadline) {
		if (child.exitCode !== null)
			throw new Error(`clamd exited with ${child.exitCode} before it was ready:\n${log()}`);
		if ((await ping(port)) === 'PONG') return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(
		`clamd did not answer PING on ${HOST}:${port} within ${READY_TIMEOUT_MS} ms:\n${log()}`,
	);
}

function ping(port: number): Promise<string | undefined> {
	return new Promise((resolve) => {
		const socket = net.connect({ host: HOST, port });
		let reply = '';
		socket.once('connect', () => socket.write('zPING\0'));
		socket.on('data', (chunk) => (reply += chunk.toString()));
		socket.once('close', () => resolve(reply.replace(/\0/g, '').trim() || undefined));
		socket.once('error', () => resolve(undefined));
		socket.setTimeout(2000, () => socket.destroy());
	});
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.once('error', reject);
		server.listen(0, HOST, () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}
