import { getEventListeners } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

import { HttpTransport, readText, USER_AGENT } from '../../../lib/http';
import { makeSelfSigned, startFakeGraph } from '../../fakes/graph';
import { serve } from '../../helpers/serve';
import { virtualClock } from '../../helpers/virtual-clock';
import { mailIntelFailure as failure } from '../../helpers/failure';

describe('HttpTransport', () => {
	it('a server that accepts and never answers fails after the response timeout, naming host:port', async () => {
		const sockets: net.Socket[] = [];
		const silent = net.createServer((socket) => void sockets.push(socket));
		await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
		const port = (silent.address() as AddressInfo).port;
		const transport = new HttpTransport({
			source: 'dsx',
			timeouts: { responseMs: 200 },
			retry: { retries: 0 },
		});
		const error = await failure(
			transport.request({ method: 'GET', url: `http://127.0.0.1:${port}/x` }),
		);
		expect(error).toMatchObject({ source: 'dsx', code: 'TIMEOUT', retryable: true });
		expect(error.message).toContain(`no response within 200 ms from 127.0.0.1:${port}`);
		expect(error.message).toMatch(/client-request-id [0-9a-f-]{36}/);
		expect(error.hint).toContain('accepted the connection but never answered');
		for (const socket of sockets) socket.destroy();
		await new Promise((resolve) => silent.close(resolve));
	});

	it('a body that stops arriving fails after the idle timeout while the reader waits', async () => {
		const server = await serve((_req, res) => {
			res.writeHead(200, { 'content-length': '1000' });
			res.write('x'.repeat(10)); // then nothing more
		});
		const transport = new HttpTransport({ source: 'dsx', timeouts: { idleMs: 200 } });
		const response = await transport.request({ method: 'GET', url: server.url });
		const error = await failure(readText(response.body));
		expect(error).toMatchObject({ code: 'TIMEOUT' });
		expect(error.message).toContain('the response body stalled for 200 ms');
		await server.close();
	});

	it('a body that keeps arriving in pieces is read whole: the idle timeout is per pause, not per body', async () => {
		// Six pieces 80 ms apart with a 200 ms idle timeout: the body takes ~400 ms in all, more
		// than the timeout, and no pause reaches it (the watch moves with the bytes, one deadline).
		const server = await serve((_req, res) => {
			res.writeHead(200, { 'content-length': '60' });
			let sent = 0;
			const next = () => {
				res.write('x'.repeat(10));
				if (++sent < 6) setTimeout(next, 80);
				else res.end();
			};
			next();
		});
		const transport = new HttpTransport({ source: 'dsx', timeouts: { idleMs: 200 } });
		const response = await transport.request({ method: 'GET', url: server.url });
		expect(await readText(response.body)).toBe('x'.repeat(60));
		await server.close();
	});

	it('a reader that holds back longer than the idle timeout is not the server stalling', async () => {
		const server = await serve((_req, res) => {
			res.writeHead(200, { 'content-length': '20' });
			res.write('x'.repeat(10));
			setTimeout(() => res.end('y'.repeat(10)), 50);
		});
		const transport = new HttpTransport({ source: 'dsx', timeouts: { idleMs: 100 } });
		const response = await transport.request({ method: 'GET', url: server.url });
		// Nothing reads for three idle timeouts: the bytes wait in the body's buffer.
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(await readText(response.body)).toBe('x'.repeat(10) + 'y'.repeat(10));
		await server.close();
	});

	it('a connection cut mid-body reaches the reader as the one error type, naming the host', async () => {
		const server = await serve((req, res) => {
			res.writeHead(200, { 'content-length': '1000' });
			res.write('x'.repeat(10), () => setTimeout(() => req.socket.destroy(), 20));
		});
		const transport = new HttpTransport({ source: 'dsx', timeouts: { idleMs: 5_000 } });
		const response = await transport.request({ method: 'GET', url: server.url });
		const error = await failure(readText(response.body));
		expect(error).toMatchObject({ source: 'dsx', retryable: true });
		expect(error.message).toContain(`127.0.0.1:${server.port}`);
		await server.close();
	});

	it('an aborted request fails as cancelled and is not retried', async () => {
		const controller = new AbortController();
		// The server never answers; the workflow is stopped once the request has arrived.
		const server = await serve(() => controller.abort());
		const transport = new HttpTransport({ source: 'dsx', retry: { retries: 3 } });
		const error = await failure(
			transport.request({ method: 'GET', url: server.url, signal: controller.signal }),
		);
		expect(error).toMatchObject({ code: 'ABORTED', retryable: false });
		expect(error.message).toContain('was cancelled');
		expect(server.seen).toHaveLength(1);
		await server.close();
	});

	it('an abort while the body is read fails the body as cancelled (not a retryable reset)', async () => {
		const controller = new AbortController();
		const server = await serve((_req, res) => {
			res.writeHead(200, { 'content-length': '1000' });
			res.write('x'.repeat(10)); // then nothing more: the reader waits
		});
		const transport = new HttpTransport({ source: 'dsx' });
		const response = await transport.request({
			method: 'GET',
			url: server.url,
			signal: controller.signal,
		});
		const reading = failure(readText(response.body));
		controller.abort(new Error('workflow stopped'));
		expect(await reading).toMatchObject({ code: 'ABORTED', retryable: false });
		await server.close();
	});

	it('a finished request leaves no listener on its signal (a run sharing one signal does not pile up)', async () => {
		const controller = new AbortController();
		const server = await serve((_req, res) => res.end('ok'));
		const transport = new HttpTransport({ source: 'dsx' });
		for (let i = 0; i < 3; i++) {
			const response = await transport.request({
				method: 'POST',
				url: server.url,
				body: Readable.from([Buffer.from('bytes')]),
				signal: controller.signal,
			});
			expect(await readText(response.body)).toBe('ok');
		}
		expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
		await server.close();
	});

	it('sends a client-request-id (new per request) and the pack User-Agent', async () => {
		const server = await serve((_req, res) => res.end('ok'));
		const transport = new HttpTransport({ source: 'dsx' });
		for (let i = 0; i < 2; i++)
			await readText((await transport.request({ method: 'GET', url: server.url })).body);
		expect(server.seen.map((req) => req.headers['user-agent'])).toEqual([USER_AGENT, USER_AGENT]);
		expect(USER_AGENT).toMatch(/^n8n-nodes-email-intel\/\d+\.\d+\.\d+/);
		const ids = server.seen.map((req) => req.headers['client-request-id']);
		expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
		expect(ids[0]).not.toBe(ids[1]);
		await server.close();
	});

	it('caps Retry-After (3600 s asked, 180 s waited) and retries 429/503/504 only', async () => {
		const answers = [429, 503, 504, 200];
		const server = await serve((_req, res) => {
			const status = answers.shift() ?? 500;
			res.writeHead(status, status === 429 ? { 'retry-after': '3600' } : {});
			res.end(String(status));
		});
		const { clock, waits } = virtualClock();
		const transport = new HttpTransport({ source: 'dsx', clock, retry: { random: () => 1 } });
		const response = await transport.request({ method: 'GET', url: server.url });
		expect(response.status).toBe(200);
		// 429: Retry-After capped; 503 and 504 without one: exponential backoff (500 ms, 1 s).
		expect(waits).toEqual([180_000, 1000, 2000]);
		await server.close();

		const broken = await serve((_req, res) => res.writeHead(500).end('bug'));
		expect(
			(
				await new HttpTransport({ source: 'dsx', clock }).request({
					method: 'GET',
					url: broken.url,
				})
			).status,
		).toBe(500);
		expect(broken.seen).toHaveLength(1);
		await broken.close();
	});

	it('never retries a POST unless the caller marks it idempotent', async () => {
		const server = await serve((_req, res) => res.writeHead(503, { 'retry-after': '1' }).end());
		const { clock } = virtualClock();
		const transport = new HttpTransport({ source: 'dsx', clock, retry: { retries: 2 } });
		const once = await transport.request({ method: 'POST', url: server.url, body: '{}' });
		expect(once.status).toBe(503);
		expect(server.seen).toHaveLength(1);
		await transport.request({ method: 'POST', url: server.url, body: '{}', idempotent: true });
		expect(server.seen).toHaveLength(1 + 3);
		await server.close();
	});

	it('refuses an untrusted certificate unless its CA is given (or the insecure switch is on)', async () => {
		const fake = await startFakeGraph();
		const url = `${fake.url}/v1.0/users/x/mailFolders`;
		const untrusted = await failure(
			new HttpTransport({ source: 'graph', retry: { retries: 0 } }).request({ method: 'GET', url }),
		);
		expect(untrusted.message).toContain(`TLS certificate of 127.0.0.1:${fake.port} is not trusted`);
		expect(untrusted.retryable).toBe(false);
		const other = makeSelfSigned('other');
		await expect(
			new HttpTransport({ source: 'graph', ca: other.certPem, retry: { retries: 0 } }).request({
				method: 'GET',
				url,
			}),
		).rejects.toMatchObject({ source: 'graph' });
		const trusted = await new HttpTransport({ source: 'graph', ca: fake.caPem }).request({
			method: 'GET',
			url,
		});
		expect(trusted.status).toBe(401); // reached Graph (no token): TLS verified with the given CA
		trusted.body.resume();
		const insecure = await new HttpTransport({
			source: 'graph',
			dangerouslySkipTlsVerification: true,
		}).request({ method: 'GET', url });
		expect(insecure.status).toBe(401);
		insecure.body.resume();
		await fake.close();
	});
});
