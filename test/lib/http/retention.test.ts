import { getEventListeners, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

import { HttpTransport, readText } from '../../../lib/http';

/**
 * What a finished request leaves behind (docs/performance.md, Scanning, round 16): nothing that
 * stays after it may reach its objects, or V8 promotes every request to the old generation.
 */
async function scanner() {
	const server = http.createServer((req, res) => {
		req.resume();
		req.on('end', () => res.end('{"verdict":"Benign"}'));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scan/binary/v2`,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

const block = Buffer.alloc(64 * 1024, 7);

describe('HttpTransport: what a finished upload leaves behind', () => {
	let server: Awaited<ReturnType<typeof scanner>>;
	const transport = new HttpTransport({ source: 'dsx', retry: { retries: 0 } });
	beforeAll(async () => {
		server = await scanner();
	});
	afterAll(() => server.close());

	const upload = async (body: Readable) => {
		const response = await transport.request({ method: 'POST', url: server.url, body });
		return { response, text: await readText(response.body) };
	};

	it('a spent body stream keeps no listener that reaches its request', async () => {
		const body = Readable.from([block]);
		const { text } = await upload(body);
		expect(text).toBe('{"verdict":"Benign"}');
		if (!body.closed) await once(body, 'close');
		// Any listener left on it counts: an 'error' or a 'close' listener that reaches the request
		// alike kept every request alive through the scavenges (round 16 and round 17).
		const left = body.eventNames().filter((name) => getEventListeners(body, name).length > 0);
		expect(left).toEqual([]);
	});

	it('every response shares one destroy function: no closure per response is stored on it', async () => {
		const first = await upload(Readable.from([block]));
		const second = await upload(Readable.from([block]));
		const destroyOf = (body: Readable) => (body as unknown as { _destroy: unknown })._destroy;
		expect(destroyOf(first.response.body)).toBe(destroyOf(second.response.body));
		expect(Object.prototype.hasOwnProperty.call(first.response.body, '_destroy')).toBe(true);
	});
});
