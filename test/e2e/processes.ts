// Child processes of the e2e harness: each runs in its own process group, so stopping it also
// stops what it started (n8n starts its task runner as a child). Every group still alive when
// the test process exits is killed, so a failed or interrupted run leaves no n8n behind.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';

const liveGroups = new Set<number>();

process.on('exit', () => {
	for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
});

export interface Spawned {
	child: ChildProcess;
	/** resolves with the exit code (or 128 + signal number) once the process has ended */
	exited: Promise<number>;
	/** SIGTERM to the group, SIGKILL after graceMs; resolves when the leader has exited */
	stop(graceMs?: number): Promise<number>;
}

/** Spawns `command` as the leader of a new process group, tracked until it exits. */
export function spawnGroup(command: string, args: string[], options: SpawnOptions): Spawned {
	const child = spawn(command, args, { ...options, detached: true });
	const pgid = child.pid;
	if (pgid !== undefined) liveGroups.add(pgid);
	const exited = new Promise<number>((resolve) => {
		child.on('error', () => resolve(127));
		child.on('exit', (code, signal) => {
			if (pgid !== undefined) {
				// The leader is gone; finish off anything it left in its group.
				signalGroup(pgid, 'SIGKILL');
				liveGroups.delete(pgid);
			}
			resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
		});
	});
	const stop = async (graceMs = 10_000): Promise<number> => {
		if (pgid === undefined || !liveGroups.has(pgid)) return exited;
		signalGroup(pgid, 'SIGTERM');
		const timer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), graceMs);
		try {
			return await exited;
		} finally {
			clearTimeout(timer);
		}
	};
	return { child, exited, stop };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pgid, signal);
	} catch {
		// The group is already gone.
	}
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; nothing is left listening). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
	const ports = new Set<number>();
	while (ports.size < count) ports.add(await freePort());
	return [...ports];
}
