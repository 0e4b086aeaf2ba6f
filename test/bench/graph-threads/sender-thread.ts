import http from 'node:http';
import { parentPort } from 'node:worker_threads';

/**
 * The sender of p4, on its own thread so that it only sends and times (on the Graph fake's
 * thread, the fake's work would be counted as the webhook's latency). Posts every body at
 * once, each on a new connection as Graph does; resolves with each request's milliseconds
 * (all must be 202).
 */
export async function sendConcurrently(url: string, bodies: string[]): Promise<number[]> {
	const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
	const one = (body: string) =>
		new Promise<number>((resolve, reject) => {
			const started = performance.now();
			const req = http.request(
				url,
				{
					method: 'POST',
					agent,
					headers: {
						'content-type': 'application/json',
						'content-length': Buffer.byteLength(body),
					},
				},
				(res) => {
					res.resume();
					res.on('end', () =>
						res.statusCode === 202
							? resolve(performance.now() - started)
							: reject(new Error(`status ${res.statusCode}`)),
					);
				},
			);
			req.on('error', reject);
			req.end(body);
		});
	return Promise.all(bodies.map(one));
}

parentPort?.on('message', ({ url, bodies }: { url: string; bodies: string[] }) => {
	sendConcurrently(url, bodies).then(
		(times) => parentPort!.postMessage({ times }),
		(error: Error) => parentPort!.postMessage({ error: error.message }),
	);
});
