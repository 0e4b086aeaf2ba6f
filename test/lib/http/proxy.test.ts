import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

import { HttpTransport } from '../../../lib/http';
import { startFakeGraph, type FakeGraph } from '../../fakes/graph';

/** A CONNECT proxy on loopback: records each tunnel's target, then splices the sockets. */
async function startConnectProxy() {
	const tunnels: string[] = [];
	const server = http.createServer((_req, res) => res.writeHead(405).end());
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

	it('goes through the proxy named by HTTPS_PROXY, with TLS to the target verified end to end', async () => {
		process.env.HTTPS_PROXY = proxy.url;
		expect(await get()).toBe(401); // Graph answered (no token): the tunnel carried the request
		expect(proxy.tunnels).toEqual([`127.0.0.1:${fake.port}`]);
	});

	it('goes direct when NO_PROXY matches the host', async () => {
		process.env.HTTPS_PROXY = proxy.url;
		process.env.NO_PROXY = '127.0.0.1';
		const before = proxy.tunnels.length;
		expect(await get()).toBe(401);
		expect(proxy.tunnels.length).toBe(before);
	});
});
