import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server whose handler the test chooses: records every request it got and counts
 * the connections it accepted (a keep-alive client reuses one).
 */
export async function serve(handler: http.RequestListener) {
	const seen: http.IncomingMessage[] = [];
	let connections = 0;
	const server = http.createServer((req, res) => {
		seen.push(req);
		handler(req, res);
	});
	server.on('connection', () => connections++);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		seen,
		connections: () => connections,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
