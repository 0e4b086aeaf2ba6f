import { getEventListeners, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';

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
		expect(getEventListeners(body, 'error')).toHaveLength(0);
	});

	it('every response shares one destroy function: no closure per response is stored on it', async () => {
		const first = await upload(Readable.from([block]));
		const second = await upload(Readable.from([block]));
		const destroyOf = (body: Readable) => (body as unknown as { _destroy: unknown })._destroy;
		expect(destroyOf(first.response.body)).toBe(destroyOf(second.response.body));
		expect(Object.prototype.hasOwnProperty.call(first.response.body, '_destroy')).toBe(true);
	});

	it('finished uploads are not promoted to the old generation (as few as a bare node:http client)', async () => {
		v8.setFlagsFromString('--expose-gc');
		const gc = vm.runInNewContext('gc') as (options?: { type: 'major' | 'minor' }) => void;
		const bareAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
		const bare = (body: Readable) =>
			new Promise<void>((resolve, reject) => {
				const req = http.request(server.url, { method: 'POST', agent: bareAgent });
				req.on('error', reject);
				req.on('response', (res) => {
					res.resume();
					res.on('end', resolve);
				});
				body.pipe(req);
			});
		const oldSpace = () =>
			v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!
				.space_used_size;
		let fullGcs = 0;
		const observer = new PerformanceObserver((list) => {
			for (const entry of list.getEntries())
				if (
					(entry as { detail?: { kind?: number } }).detail?.kind ===
					constants.NODE_PERFORMANCE_GC_MAJOR
				)
					fullGcs++;
		});
		observer.observe({ entryTypes: ['gc'] });
		// 400 uploads at concurrency 4 with a scavenge every 10: what survives two scavenges is
		// promoted, so the old generation's growth is what the requests left reachable. A full
		// GC in between would free it again and hide it: such a measurement is taken again.
		const promotedBy = async (send: (body: Readable) => Promise<unknown>) => {
			for (let attempt = 0; ; attempt++) {
				gc();
				await new Promise((resolve) => setImmediate(resolve));
				const gcsBefore = fullGcs;
				const before = oldSpace();
				let sent = 0;
				await Promise.all(
					Array.from({ length: 4 }, async () => {
						while (sent < 400) {
							sent++;
							await send(Readable.from([block]));
							if (sent % 10 === 0) gc({ type: 'minor' });
						}
					}),
				);
				const grown = oldSpace() - before;
				await new Promise((resolve) => setImmediate(resolve));
				if (fullGcs === gcsBefore || attempt === 4) return grown;
			}
		};
		try {
			await promotedBy(upload); // warm-up: compiled code and feedback land in old space once
			await promotedBy(bare);
			const ours = await promotedBy(upload);
			const bound = await promotedBy(bare);
			// Before round 16 ours grew the old generation by ~3.3 MB here (every request's objects
			// kept across two scavenges by dead old objects), a bare client by ~0.3 MB.
			expect(ours - bound).toBeLessThan(1024 * 1024);
		} finally {
			observer.disconnect();
			bareAgent.destroy();
		}
	});
});
