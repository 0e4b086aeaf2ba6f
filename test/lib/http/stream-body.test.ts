import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

import { HttpTransport } from '../../../lib/http';

/** A server that hashes each request body as it streams in and answers `status`. */
async function hashingServer(status: () => number) {
	const bodies: Array<{ sha256: string; bytes: number; chunked: boolean }> = [];
	const server = http.createServer((req, res) => {
		const hash = createHash('sha256');
		let bytes = 0;
		req.on('data', (chunk: Buffer) => {
			bytes += chunk.length;
			hash.update(chunk);
		});
		req.on('end', () => {
			bodies.push({
				sha256: hash.digest('hex'),
				bytes,
				chunked: req.headers['transfer-encoding'] === 'chunked',
			});
			res.writeHead(status()).end('{}');
		});
		req.on('error', () => undefined);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`;
	return { url, bodies, stop: () => new Promise((resolve) => server.close(resolve)) };
}

function generated(totalBytes: number, fail?: Error): Readable {
	return Readable.from(
		(async function* () {
			for (let sent = 0; sent < totalBytes; sent += 65536) {
				if (fail && sent >= totalBytes / 2) throw fail;
				yield Buffer.alloc(Math.min(65536, totalBytes - sent), sent % 251);
			}
		})(),
	);
}

describe('HttpTransport with a streamed request body', () => {
	const transport = new HttpTransport({
		source: 'dsx',
		retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 2 },
	});

	test('the bytes arrive whole, chunked; a 503 is handed back, never resent from a spent stream', async () => {
		const server = await hashingServer(() => 503);
		try {
			const expected = createHash('sha256');
			const source = generated(5 * 1024 * 1024);
			source.on('data', (chunk: Buffer) => expected.update(chunk));
			source.pause();
			const response = await transport.request({
				method: 'PUT', // idempotent: would be retried if the body could be sent again
				url: server.url,
				body: source,
			});
			response.body.resume();
			expect(response.status).toBe(503);
			expect(server.bodies).toHaveLength(1);
			expect(server.bodies[0]).toMatchObject({ bytes: 5 * 1024 * 1024, chunked: true });
			expect(server.bodies[0]!.sha256).toBe(expected.digest('hex'));
		} finally {
			await server.stop();
		}
	});

	test('a source that fails mid-way fails the request (no truncated upload passes as complete)', async () => {
		const server = await hashingServer(() => 200);
		try {
			await expect(
				transport.request({
					method: 'POST',
					url: server.url,
					body: generated(1024 * 1024, new Error('binary store read failed')),
				}),
			).rejects.toMatchObject({ source: 'dsx' });
		} finally {
			await server.stop();
		}
	});
});
