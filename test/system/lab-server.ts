// What every throwaway server the tests start on loopback (Dovecot, Postfix) needs: free ports,
// a process group that dies with the test process, a wait for the server's greeting, and a
// helper to run its admin tools. One copy, so a fix to the watchdog reaches every server.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const LOOPBACK = '127.0.0.1';

/**
 * Runs the server in the background of a process group led by this shell (spawned detached,
 * i.e. setsid). `read` on fd 3 (our end of its stdin) returns at EOF, i.e. when the Node process
 * that started it is gone, even by SIGKILL (a Jest worker force-exited); then, or when the server
 * exits by itself (bad config: the start fails fast), the group is killed. A server that leaves
 * the group (Postfix's master calls setsid()) names its pid file: that group is killed first.
 * Arguments: $1 = that pid file or '', $2 = the file for the server's output, then its argv.
 */
const WATCHDOG = [
	'exec 3<&0',
	'pidfile=$1',
	'output=$2',
	'shift 2',
	'"$@" </dev/null >>"$output" 2>&1 &',
	'server=$!',
	'killall() { if [ -n "$pidfile" ] && pid=$(cat "$pidfile" 2>/dev/null); then kill -s KILL -- "-$pid" 2>/dev/null; fi; kill -s KILL 0; }',
	'{ read -r _ <&3; killall; } &',
	'wait "$server"',
	'killall',
].join('\n');

const running = new Set<ChildProcess>();
process.once('exit', () => {
	// A test that forgot stop() must not leave a server behind.
	for (const child of running) killGroup(child);
});

export interface WatchedServer {
	/** The watchdog shell: the leader of the server's process group. */
	child: ChildProcess;
	/** Whether the group is gone (the server exited or was killed). */
	exited(): boolean;
	/** SIGKILL to the group (and to the group in `groupPidFile`); resolves once the watchdog is gone. */
	kill(): Promise<void>;
}

/** Starts `argv` under the watchdog; see WATCHDOG. */
export function startWatched(
	name: string,
	argv: string[],
	options: { outputFile?: string; groupPidFile?: string } = {},
): WatchedServer {
	const child = spawn(
		'/bin/sh',
		[
			'-c',
			WATCHDOG,
			`${name}-watchdog`,
			options.groupPidFile ?? '',
			options.outputFile ?? '/dev/null',
			...argv,
		],
		{ detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
	);
	running.add(child);
	child.once('exit', () => running.delete(child));
	// neither the process nor the pipe keeps Node alive: a forgotten server dies with it
	child.unref();
	(child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
	const exited = () => child.exitCode !== null || child.signalCode !== null;
	return {
		child,
		exited,
		async kill() {
			if (options.groupPidFile) killPidFileGroup(options.groupPidFile);
			if (!exited()) {
				const gone = new Promise((resolve) => child.once('exit', resolve));
				// The child is unref'd (above), so waiting for its exit alone does not keep Node
				// alive: a caller whose last handle this is (`npm run dev` after Ctrl-C, once n8n
				// is gone) would end mid-stop with the lab folders left behind. Hold the loop.
				child.ref();
				killGroup(child);
				await gone;
			}
			child.stdin?.destroy();
		},
	};
}

function killGroup(child: ChildProcess): void {
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, 'SIGKILL');
	} catch {
		// already gone
	}
}

function killPidFileGroup(pidFile: string): void {
	try {
		const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
		if (pid > 1) process.kill(-pid, 'SIGKILL');
	} catch {
		// not started, or already gone
	}
}

/** `count` distinct TCP ports free on loopback right now (the OS picks them). */
export async function freePorts(count: number): Promise<number[]> {
	const ports = new Set<number>();
	while (ports.size < count)
		ports.add(
			await new Promise<number>((resolve, reject) => {
				const server = net.createServer();
				server.unref();
				server.once('error', reject);
				server.listen(0, LOOPBACK, () => {
					const { port } = server.address() as net.AddressInfo;
					server.close(() => resolve(port));
				});
			}),
		);
	// Array.from, not a spread: some callers transpile this file to ES5 (dovecot.test.ts), where a
	// spread of a Set is empty without downlevelIteration
	return Array.from(ports);
}

/** Runs a tool to its end; a failure names the command and carries its stderr. */
export function runFile(file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
	return new Promise((resolve, reject) => {
		execFile(file, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
			if (error)
				reject(
					new Error(`${path.basename(file)} ${args.join(' ')} failed: ${stderr || error.message}`),
				);
			else resolve({ stdout, stderr });
		});
	});
}

/**
 * Resolves once the server's first line on `port` starts with `prefix` (`* OK`, `220`); fails
 * at once with the log when the server exits, or with the log after `timeoutMs`.
 */
export async function waitForGreeting(options: {
	server: WatchedServer;
	port: number;
	prefix: string;
	what: string;
	log: () => string;
	timeoutMs?: number;
}): Promise<void> {
	const { server, port, prefix, what, log, timeoutMs = 30_000 } = options;
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (server.exited()) throw new Error(`${what} exited before it was ready:\n${log()}`);
		const greeting = await new Promise<string | undefined>((resolve) => {
			const socket = net.connect({ host: LOOPBACK, port });
			let data = '';
			const done = (value: string | undefined) => {
				socket.destroy();
				resolve(value);
			};
			socket.setTimeout(1000, () => done(undefined));
			socket.on('data', (chunk) => {
				data += chunk.toString('latin1');
				if (data.includes('\r\n')) done(data);
			});
			socket.on('error', () => done(undefined));
		});
		if (greeting?.startsWith(prefix)) return;
		if (Date.now() > deadline)
			throw new Error(
				`${what} did not greet on ${LOOPBACK}:${port} within ${timeoutMs} ms:\n${log()}`,
			);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}
