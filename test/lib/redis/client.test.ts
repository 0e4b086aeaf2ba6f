import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

import { queueRedisOptions } from '../../../lib/ingest/queue-mode';
import { RedisClient } from '../../../lib/redis/client';
import { RespParser } from '../../../lib/redis/resp';
import { startRedis, type LabServer } from '../../e2e/queue/servers';

let redis: LabServer;
beforeAll(async () => {
	redis = await startRedis({ password: 'queue-secret' });
});
afterAll(async () => redis?.stop());

test('authenticates, pipelines commands in order, and runs the lease scripts', async () => {
	const client = new RedisClient({
		host: redis.host,
		port: redis.port,
		password: 'queue-secret',
		db: 2,
	});
	try {
		const answers = await Promise.all([
			client.command(['SET', 'k', 'v1', 'NX', 'PX', 60_000]),
			client.command(['SET', 'k', 'v2', 'NX', 'PX', 60_000]),
			client.command(['GET', 'k']),
			client.command(['GET', 'missing']),
			client.command(['EVAL', "return {1, 'two', redis.call('GET', KEYS[1])}", 1, 'k']),
		]);
		expect(answers).toEqual(['OK', null, 'v1', null, [1, 'two', 'v1']]);
		// SELECT 2 took effect: database 0 does not hold the key.
		const db0 = new RedisClient({ host: redis.host, port: redis.port, password: 'queue-secret' });
		expect(await db0.command(['GET', 'k'])).toBeNull();
		db0.close();
	} finally {
		client.close();
	}
});

test('a wrong password is refused with an error that names the settings, without the password', async () => {
	const client = new RedisClient({ host: redis.host, port: redis.port, password: 'wrong-secret' });
	const error = await client.command(['GET', 'k']).catch((caught: unknown) => caught as Error);
	client.close();
	expect(error).toMatchObject({ source: 'redis', code: 'REDIS_REFUSED', retryable: false });
	expect((error as Error).message).toContain('refused the credentials');
	expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
		'wrong-secret',
	);
});

test('no Redis listening, or one that never answers: a retryable error, not a hang', async () => {
	const closed = await new Promise<number>((resolve) => {
		const probe = net.createServer().listen(0, '127.0.0.1', () => {
			const { port } = probe.address() as net.AddressInfo;
			probe.close(() => resolve(port));
		});
	});
	const refused = new RedisClient({ host: '127.0.0.1', port: closed, timeoutMs: 2_000 });
	await expect(refused.command(['GET', 'k'])).rejects.toMatchObject({
		code: 'REDIS_UNAVAILABLE',
		retryable: true,
	});
	refused.close();

	const silent = net.createServer(() => undefined);
	await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
	const mute = new RedisClient({
		host: '127.0.0.1',
		port: (silent.address() as net.AddressInfo).port,
		timeoutMs: 300,
	});
	try {
		await expect(mute.command(['GET', 'k'])).rejects.toMatchObject({
			code: 'REDIS_UNAVAILABLE',
			message: expect.stringContaining('did not answer within 300 ms'),
		});
	} finally {
		mute.close();
		silent.close();
	}
});

test('TLS is verified: a self-signed Redis is refused unless QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE=false', async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-tls-'));
	const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
	execFileSync('openssl', [
		...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
		...['-keyout', key, '-out', cert],
	]);
	const server = tls.createServer(
		{ key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
		(socket) => socket.on('data', () => socket.write('+PONG\r\n')),
	);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as net.AddressInfo).port;
	const options = queueRedisOptions({
		QUEUE_BULL_REDIS_HOST: 'localhost',
		QUEUE_BULL_REDIS_PORT: String(port),
		QUEUE_BULL_REDIS_TLS: 'true',
	});
	const verified = new RedisClient(options);
	const unverified = new RedisClient(
		queueRedisOptions({
			QUEUE_BULL_REDIS_HOST: 'localhost',
			QUEUE_BULL_REDIS_PORT: String(port),
			QUEUE_BULL_REDIS_TLS: 'true',
			QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE: 'false',
		}),
	);
	try {
		await expect(verified.command(['PING'])).rejects.toMatchObject({
			code: 'REDIS_UNAVAILABLE',
			message: expect.stringContaining('self-signed certificate'),
		});
		expect(await unverified.command(['PING'])).toBe('PONG');
	} finally {
		verified.close();
		unverified.close();
		server.close();
	}
});

test('the reply parser takes replies split anywhere, and nested arrays', () => {
	const wire = Buffer.from('+OK\r\n$5\r\nhello\r\n*2\r\n:1\r\n*1\r\n$-1\r\n-ERR no\r\n');
	for (let cut = 1; cut < wire.length; cut++) {
		const parser = new RespParser();
		const replies = [...parser.push(wire.subarray(0, cut)), ...parser.push(wire.subarray(cut))];
		expect(replies.slice(0, 3)).toEqual(['OK', 'hello', [1, [null]]]);
		expect(replies[3]).toMatchObject({ message: 'ERR no' });
	}
});

test("n8n's queue settings are read as n8n reads them: defaults, _FILE secrets, TLS, cluster nodes", () => {
	expect(queueRedisOptions({})).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
	const secret = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'redis-')), 'password');
	fs.writeFileSync(secret, 'from-a-file\n');
	expect(
		queueRedisOptions({
			QUEUE_BULL_REDIS_HOST: 'redis.internal',
			QUEUE_BULL_REDIS_PORT: '6380',
			QUEUE_BULL_REDIS_DB: '3',
			QUEUE_BULL_REDIS_USERNAME: 'n8n',
			QUEUE_BULL_REDIS_PASSWORD_FILE: secret,
			QUEUE_BULL_REDIS_TLS: 'true',
		}),
	).toEqual({
		host: 'redis.internal',
		port: 6380,
		db: 3,
		username: 'n8n',
		password: 'from-a-file',
		timeoutMs: 10_000,
		tls: { servername: undefined, rejectUnauthorized: true },
	});
	expect(
		queueRedisOptions({ QUEUE_BULL_REDIS_CLUSTER_NODES: 'node-a:7000, node-b:7001' }),
	).toMatchObject({ host: 'node-a', port: 7000 });
});
