// The throwaway PostgreSQL and Redis of the queue-mode e2e test (test/e2e/queue/servers.ts):
// each answers on loopback as n8n will use it, and stop() leaves no server and no lab folder.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { startPostgres, startRedis, type LabServer } from '../e2e/queue/servers';
import { postgresBinDir } from './ensure-queue-servers';

const LAB_ROOT = path.resolve(__dirname, '..', '.lab');

/** One request/answer over a fresh TCP connection (RESP for Redis). */
function exchange(port: number, request: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
		socket.once('data', (data) => {
			socket.destroy();
			resolve(data.toString());
		});
		socket.once('error', reject);
	});
}

const listening = (server: LabServer) =>
	new Promise<boolean>((resolve) => {
		const socket = net.connect(server.port, server.host);
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});

const labFolders = (prefix: string) =>
	fs.existsSync(LAB_ROOT) ? fs.readdirSync(LAB_ROOT).filter((name) => name.startsWith(prefix)) : [];

describe('queue-mode lab servers', () => {
	it('PostgreSQL: the n8n database answers SQL on loopback as user n8n; stop() removes server and folder', async () => {
		const before = labFolders('postgres-');
		const postgres = await startPostgres();
		try {
			const psql = spawnSync(
				path.join(postgresBinDir()!, 'psql'),
				[
					'-h',
					postgres.host,
					'-p',
					String(postgres.port),
					'-U',
					postgres.user,
					'-d',
					postgres.database,
					'-tAc',
					'select current_user, current_database()',
				],
				{ encoding: 'utf8' },
			);
			expect(psql.stderr).toBe('');
			expect(psql.stdout.trim()).toBe('n8n|n8n');
		} finally {
			await postgres.stop();
		}
		expect(await listening(postgres)).toBe(false);
		expect(labFolders('postgres-')).toEqual(before);
	});

	it('Redis: answers PING on loopback and keeps nothing on disk; stop() removes server and folder', async () => {
		const before = labFolders('redis-');
		const redis = await startRedis();
		try {
			expect(await exchange(redis.port, '*1\r\n$4\r\nPING\r\n')).toBe('+PONG\r\n');
			expect(await exchange(redis.port, '*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n')).toBe(
				'*2\r\n$4\r\nsave\r\n$0\r\n\r\n',
			);
		} finally {
			await redis.stop();
		}
		expect(await listening(redis)).toBe(false);
		expect(labFolders('redis-')).toEqual(before);
	});
});
