import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

import { HttpTransport } from '../../../lib/http';
import { serve } from '../../helpers/serve';

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

/** Reads the whole request, then answers `{}`: for tests that look at what was sent. */
function readAndAnswer(req: IncomingMessage, res: ServerResponse): void {
	req.resume();
	req.on('end', () => res.end('{}'));
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

	test("what a streamed upload sends: Host with its port, the caller's headers and the pack's, on one kept-alive connection", async () => {
		const server = await serve(readAndAnswer);
		try {
			for (let n = 0; n < 2; n++) {
				const response = await transport.requestBuffered({
					method: 'POST',
					url: `${server.url}/scan/binary/v2`,
					headers: { 'Content-Type': 'application/octet-stream', protected_entity: '3' },
					body: generated(100_000),
				});
				expect(response.status).toBe(200);
			}
			const [first, second] = server.seen;
			expect(first!.headers).toMatchObject({
				host: `127.0.0.1:${server.port}`,
				'content-type': 'application/octet-stream',
				protected_entity: '3',
				'transfer-encoding': 'chunked',
				connection: 'keep-alive',
			});
			expect(first!.headers['user-agent']).toMatch(/^n8n-nodes-email-intel\//);
			expect(first!.headers['client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
			expect(second!.headers['client-request-id']).not.toBe(first!.headers['client-request-id']);
			// Each header once: none added twice by the transport and by Node.
			expect(
				first!.rawHeaders
					.filter((_, at) => at % 2 === 0)
					.map((name) => name.toLowerCase())
					.sort(),
			).toEqual([
				'client-request-id',
				'connection',
				'content-type',
				'host',
				'protected_entity',
				'transfer-encoding',
				'user-agent',
			]);
			expect(server.connections()).toBe(1);
		} finally {
			await server.close();
		}
	});

	test('a streamed upload with a given Content-Length goes unchunked; URL credentials still become Basic authorization', async () => {
		const server = await serve(readAndAnswer);
		try {
			await transport.requestBuffered({
				method: 'PUT',
				url: `${server.url}/sized`,
				headers: { 'content-length': '100000' },
				body: generated(100_000),
			});
			await transport.requestBuffered({
				method: 'PUT',
				url: `http://scanner:s%40cret@127.0.0.1:${server.port}/with-credentials`,
				body: generated(1000),
			});
			const [sized, withCredentials] = server.seen;
			expect(sized!.headers['content-length']).toBe('100000');
			expect(sized!.headers['transfer-encoding']).toBeUndefined();
			expect(withCredentials!.headers['authorization']).toBe(
				`Basic ${Buffer.from('scanner:s@cret').toString('base64')}`,
			);
			expect(withCredentials!.headers.host).toBe(`127.0.0.1:${server.port}`);
		} finally {
			await server.close();
		}
	});
});
