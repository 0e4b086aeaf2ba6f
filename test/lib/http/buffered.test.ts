import type { RequestListener } from 'node:http';
import { Readable } from 'node:stream';

import { HttpTransport, type HttpRequest } from '../../../lib/http';
import { mailIntelFailure as failure } from '../../helpers/failure';
import { serve } from '../../helpers/serve';

/**
 * The error a buffered request fails with against a local server answering with `handler`, on a
 * DSX transport without retries (and the given body idle timeout and size cap).
 */
async function bufferedFailure(
	handler: RequestListener,
	request: Omit<HttpRequest, 'url'> & { path: string },
	limits: { idleMs?: number; maxBytes?: number } = {},
) {
	const server = await serve(handler);
	try {
		const transport = new HttpTransport({
			source: 'dsx',
			retry: { retries: 0 },
			...(limits.idleMs !== undefined ? { timeouts: { idleMs: limits.idleMs } } : {}),
		});
		const { path, ...rest } = request;
		return await failure(
			transport.requestBuffered({ ...rest, url: `${server.url}${path}` }, {}, limits.maxBytes),
		);
	} finally {
		await server.close();
	}
}

describe('HttpTransport.requestBuffered (an answer read whole by the transport)', () => {
	it('resolves with status, headers and the whole body, sent in pieces', async () => {
		const server = await serve((_req, res) => {
			res.writeHead(201, { 'content-type': 'application/json', 'request-id': 'srv-1' });
			res.write('{"verdict":');
			setTimeout(() => res.end('"Benign"}'), 20);
		});
		try {
			const transport = new HttpTransport({ source: 'dsx' });
			const answer = await transport.requestBuffered({ method: 'GET', url: `${server.url}/a` });
			expect(answer.status).toBe(201);
			expect(answer.headers['content-type']).toBe('application/json');
			expect(answer.requestId).toBe('srv-1');
			expect(answer.clientRequestId).toMatch(/^[0-9a-f-]{36}$/);
			expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ verdict: 'Benign' });
		} finally {
			await server.close();
		}
	});

	it('a streamed upload gets its answer read whole, and the keep-alive socket serves the next one', async () => {
		const server = await serve((req, res) => {
			let bytes = 0;
			req.on('data', (chunk: Buffer) => (bytes += chunk.length));
			req.on('end', () => res.end(JSON.stringify({ bytes })));
		});
		try {
			const transport = new HttpTransport({ source: 'dsx', retry: { retries: 0 } });
			for (let n = 0; n < 3; n++) {
				const answer = await transport.requestBuffered({
					method: 'POST',
					url: `${server.url}/scan`,
					body: Readable.from([Buffer.alloc(70_000), Buffer.alloc(30_000)]),
				});
				expect(JSON.parse(answer.body.toString())).toEqual({ bytes: 100_000 });
			}
			expect(server.connections()).toBe(1);
		} finally {
			await server.close();
		}
	});

	it('refuses more than maxBytes with BODY_TOO_LARGE instead of buffering it', async () => {
		const error = await bufferedFailure(
			(_req, res) => {
				res.writeHead(200);
				res.write(Buffer.alloc(600));
				res.end(Buffer.alloc(600));
			},
			{ method: 'GET', path: '/big' },
			{ maxBytes: 1000 },
		);
		expect(error).toMatchObject({ source: 'dsx', code: 'BODY_TOO_LARGE' });
		expect(error.message).toContain('passed 1000 bytes');
	});

	it('a body that stops arriving fails after the idle timeout, saying it was the body', async () => {
		const error = await bufferedFailure(
			(_req, res) => {
				res.writeHead(200, { 'content-length': '100' });
				res.write('x'.repeat(10)); // then nothing more
			},
			{ method: 'POST', path: '/slow' },
			{ idleMs: 200 },
		);
		expect(error).toMatchObject({ source: 'dsx', code: 'TIMEOUT' });
		expect(error.message).toContain('the response body stalled for 200 ms');
	});

	it('a connection cut mid-body fails as the one error type', async () => {
		const error = await bufferedFailure(
			(_req, res) => {
				res.writeHead(200, { 'content-length': '100' });
				res.write('x'.repeat(10), () => res.socket?.destroy());
			},
			{ method: 'POST', path: '/cut' },
		);
		expect(error).toMatchObject({ source: 'dsx', retryable: true });
		expect(error.message).toContain('POST http://127.0.0.1');
	});

	it('an abort while the body arrives cancels the attempt', async () => {
		const stop = new AbortController();
		const error = await bufferedFailure(
			(_req, res) => {
				res.writeHead(200, { 'content-length': '100' });
				res.write('x'.repeat(10), () => setTimeout(() => stop.abort(), 20));
			},
			{ method: 'POST', path: '/abort', signal: stop.signal },
		);
		expect(error).toMatchObject({ source: 'dsx', code: 'ABORTED' });
	});

	it('retries an idempotent request answered 503 and returns the next answer', async () => {
		let calls = 0;
		const server = await serve((_req, res) => {
			calls++;
			if (calls === 1) {
				res.writeHead(503, { 'retry-after': '0' });
				return void res.end('busy');
			}
			res.end('ok');
		});
		try {
			const transport = new HttpTransport({ source: 'dsx', retry: { retries: 2, baseDelayMs: 1 } });
			const answer = await transport.requestBuffered({ method: 'GET', url: `${server.url}/r` });
			expect(answer.status).toBe(200);
			expect(answer.body.toString()).toBe('ok');
			expect(calls).toBe(2);
		} finally {
			await server.close();
		}
	});

	it('releases what an admit hook reserved once the body has been read', async () => {
		const server = await serve((_req, res) => res.end('done'));
		try {
			const transport = new HttpTransport({ source: 'graph' });
			const released: string[] = [];
			const answer = await transport.requestBuffered(
				{ method: 'GET', url: `${server.url}/slot` },
				{ admit: async () => () => released.push('slot') },
			);
			expect(answer.body.toString()).toBe('done');
			expect(released).toEqual(['slot']);
		} finally {
			await server.close();
		}
	});
});
