import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

import { HttpTransport } from '../../../lib/http';
import { startFakeGraph, type FakeGraph } from '../../fakes/graph';

/**
 * A proxy on loopback: CONNECT tunnels (recorded by target, then the sockets spliced) for https,
 * and forward requests with an absolute URI (recorded, then relayed) for plain http.
 */
async function startConnectProxy() {
	const tunnels: string[] = [];
	const forwarded: string[] = [];
	const server = http.createServer((req, res) => {
		forwarded.push(req.url ?? '');
		const upstream = http.request(
			req.url ?? '',
			{ method: req.method, headers: req.headers },
			(answer) => {
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			},
		);
		upstream.on('error', () => res.writeHead(502).end());
		req.pipe(upstream);
	});
	server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
		tunnels.push(req.url ?? '');
		const [host, port] = (req.url ?? '').split(':');
		const upstream = net.connect(Number(port), host, () => {
			client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
			upstream.write(head);
			upstream.pipe(client);
			client.pipe(upstream);
		});
		upstream.on('error', () => client.destroy());
		client.on('error', () => upstream.destroy());
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		tunnels,
		forwarded,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

const PROXY_VARIABLES = [
	'HTTPS_PROXY',
	'https_proxy',
	'HTTP_PROXY',
	'http_proxy',
	'NO_PROXY',
	'no_proxy',
	'ALL_PROXY',
	'all_proxy',
	'npm_config_https_proxy',
	'npm_config_proxy',
];

describe('proxies from the environment (as n8n: HTTPS_PROXY, NO_PROXY)', () => {
	let fake: FakeGraph;
	let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
	const saved: Record<string, string | undefined> = {};
	beforeAll(async () => {
		fake = await startFakeGraph();
		proxy = await startConnectProxy();
		for (const name of PROXY_VARIABLES) {
			saved[name] = process.env[name];
			delete process.env[name];
		}
	});
	afterAll(async () => {
		for (const name of PROXY_VARIABLES) {
			if (saved[name] === undefined) delete process.env[name];
			else process.env[name] = saved[name];
		}
		await proxy.close();
		await fake.close();
	});

	async function get(): Promise<number> {
		// keepAlive off: each request opens its own connection, so the route is chosen anew.
		const transport = new HttpTransport({ source: 'graph', ca: fake.caPem, keepAlive: false });
		const response = await transport.request({
			method: 'GET',
			url: `${fake.url}/v1.0/users/a@b.c/mailFolders`,
		});
		response.body.resume();
		return response.status;
	}

	it('honours every variable proxy-from-env reads (lower case, ALL_PROXY, npm_config_*), read when a transport is built', async () => {
		// The transport skips proxy-from-env when none of them is set: this pins the list it checks.
		for (const name of [
			'https_proxy',
			'all_proxy',
			'ALL_PROXY',
			'npm_config_https_proxy',
			'npm_config_proxy',
		]) {
			const before = proxy.tunnels.length;
			process.env[name] = proxy.url;
			try {
				expect(await get()).toBe(401);
			} finally {
				delete process.env[name];
			}
			expect({ name, tunnels: proxy.tunnels.length - before }).toEqual({ name, tunnels: 1 });
		}
		const before = proxy.tunnels.length;
		expect(await get()).toBe(401); // none set: direct
		expect(proxy.tunnels.length).toBe(before);
		proxy.tunnels.length = 0;
	});

	it('applies a changed environment to the transports built after it (each node run), not to one built before', async () => {
		const before = new HttpTransport({ source: 'graph', ca: fake.caPem, keepAlive: false });
		process.env.HTTPS_PROXY = proxy.url;
		try {
			const tunnels = proxy.tunnels.length;
			const response = await before.request({
				method: 'GET',
				url: `${fake.url}/v1.0/users/a@b.c/mailFolders`,
			});
			response.body.resume();
			expect(proxy.tunnels.length).toBe(tunnels); // built with no proxy set: direct
			expect(await get()).toBe(401); // a new transport: through the proxy
			expect(proxy.tunnels.length).toBe(tunnels + 1);
		} finally {
			delete process.env.HTTPS_PROXY;
			proxy.tunnels.length = 0;
		}
	});

	it('goes through the proxy named by HTTPS_PROXY, with TLS to the target verified end to end', async () => {
		process.env.HTTPS_PROXY = proxy.url;
		expect(await get()).toBe(401); // Graph answered (no token): the tunnel carried the request
		expect(proxy.tunnels).toEqual([`127.0.0.1:${fake.port}`]);
	});

	it('sends a plain-http request to HTTP_PROXY as a forward request (absolute URI), not a tunnel', async () => {
		const target = http.createServer((_req, res) => res.end('direct answer'));
		await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
		const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/graphql`;
		process.env.HTTP_PROXY = proxy.url;
		const tunnelsBefore = proxy.tunnels.length;
		const response = await new HttpTransport({ source: 'opencti' }).request({ method: 'GET', url });
		response.body.resume();
		expect(response.status).toBe(200);
		expect(proxy.forwarded).toEqual([url]);
		expect(proxy.tunnels.length).toBe(tunnelsBefore);
		delete process.env.HTTP_PROXY;
		await new Promise((resolve) => target.close(resolve));
	});

	it('a proxy that never answers CONNECT fails after the connect timeout; even a POST is retried, having never left', async () => {
		const attempts: string[] = [];
		const silent = http.createServer();
		const held: net.Socket[] = [];
		silent.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
			attempts.push(req.url ?? '');
			held.push(socket); // accepted, never answered
		});
		await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
		const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
		process.env.HTTPS_PROXY = silentUrl;
		const transport = new HttpTransport({
			source: 'graph',
			ca: fake.caPem,
			keepAlive: false,
			timeouts: { connectMs: 200 },
			retry: { retries: 1, sleep: async () => undefined },
		});
		const error = await transport
			.request({ method: 'POST', url: `${fake.url}/v1.0/subscriptions`, body: '{}' })
			.then(
				() => undefined,
				(caught: unknown) => caught as { code?: string; message: string },
			);
		expect(error?.code).toBe('TIMEOUT');
		expect(error?.message).toContain(
			`no connection within 200 ms from 127.0.0.1:${fake.port} through the proxy ${silentUrl}`,
		);
		expect(attempts).toEqual([`127.0.0.1:${fake.port}`, `127.0.0.1:${fake.port}`]);
		expect(fake.requests.filter((r) => r.path === '/v1.0/subscriptions')).toEqual([]);
		for (const socket of held) socket.destroy();
		await new Promise((resolve) => silent.close(resolve));
	});

	it('goes direct when NO_PROXY matches the host', async () => {
		process.env.HTTPS_PROXY = proxy.url;
		process.env.NO_PROXY = '127.0.0.1';
		const before = proxy.tunnels.length;
		expect(await get()).toBe(401);
		expect(proxy.tunnels.length).toBe(before);
	});
});
