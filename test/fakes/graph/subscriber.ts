import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A plain HTTP endpoint standing in for n8n's webhook route in lib-level tests: requests are
 * handed to `handle` with the parsed query and body, exactly what a webhook() sees.
 */
export interface SubscriberRequest {
	query: Record<string, string>;
	body: unknown;
	headers: http.IncomingHttpHeaders;
	res: http.ServerResponse;
}

export interface Subscriber {
	url: string;
	close(): Promise<void>;
}

export async function startSubscriber(
	handle: (request: SubscriberRequest) => void | Promise<void>,
): Promise<Subscriber> {
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const url = new URL(req.url ?? '/', 'http://127.0.0.1');
			const text = Buffer.concat(chunks).toString('utf8');
			let body: unknown = text;
			try {
				body = text ? JSON.parse(text) : {};
			} catch {
				// validation POSTs carry text/plain
			}
			void Promise.resolve(
				handle({ query: Object.fromEntries(url.searchParams), body, headers: req.headers, res }),
			).catch((error: Error) => {
				if (!res.headersSent) res.writeHead(500).end(error.message);
			});
		});
	});
	server.keepAliveTimeout = 1000;
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}/webhook/graph`,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
