import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { HttpTransport, transportFetch, USER_AGENT } from '../../../lib/http';

describe('transportFetch (graphql-request and multipart uploads over the transport)', () => {
	it('sends a FormData body as multipart with its boundary, with our headers, and retries only what the transport retries', async () => {
		const seen: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
		const answers = [503, 200];
		const server = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => {
				seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
				const status = answers.shift() ?? 204;
				res.writeHead(status, { 'content-type': 'application/json' });
				res.end(status === 204 ? undefined : JSON.stringify({ status }));
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
		const transport = new HttpTransport({
			source: 'opencti',
			retry: { sleep: async () => undefined },
		});
		const form = new FormData();
		form.append('operations', '{"query":"mutation { x }"}');
		form.append('0', new Blob(['%PDF-1.7'], { type: 'application/pdf' }), 'report.pdf');

		const idempotent = transportFetch(transport, { idempotent: true });
		const response = await idempotent(url, { method: 'POST', body: form });
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ status: 200 });
		expect(seen).toHaveLength(2); // the 503 was retried: the caller said the POST is safe to repeat
		const boundary = /boundary=(.+)$/.exec(String(seen[0].headers['content-type']))?.[1];
		expect(boundary).toBeDefined();
		expect(seen[0].body).toContain(`--${boundary}`);
		expect(seen[0].body).toContain('filename="report.pdf"');
		expect(seen[0].body).toContain('%PDF-1.7');
		expect(seen[0].headers['user-agent']).toBe(USER_AGENT);

		const empty = await transportFetch(transport)(url, { method: 'POST', body: '{}' });
		expect(empty.status).toBe(204);
		expect(await empty.text()).toBe('');
		await new Promise((resolve) => server.close(resolve));
	});
});
