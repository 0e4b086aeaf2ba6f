import { parentPort, workerData } from 'node:worker_threads';

import { startFakeGraph } from '../../fakes/graph';

const UPN = 'bench@contoso.com';
const { latencyMs: LATENCY_MS, messages: MESSAGES } = workerData as {
	latencyMs: number;
	messages: number;
};

/** The Graph side of p5, on its own thread (Microsoft's servers are not in n8n's process). */
async function graphThread(): Promise<void> {
	const fake = await startFakeGraph({ latencyMs: LATENCY_MS });
	for (let i = 0; i < MESSAGES; i += 1000) {
		fake.addMessages(
			UPN,
			'Inbox',
			Array.from({ length: Math.min(1000, MESSAGES - i) }, (_, j) => ({
				subject: `m${i + j}`,
				attachments: [
					{ name: `a${i + j}.pdf`, contentType: 'application/pdf', content: `%PDF ${i + j}` },
				],
			})),
		);
	}
	const port = parentPort!;
	port.on('message', (command: string) => {
		void (async () => {
			const requests = fake.requests.map((r) => ({ serviceMs: r.t - r.arrivedAt, path: r.path }));
			const stats = {
				command,
				requests: requests.length,
				serviceMs: requests.reduce((sum, r) => sum + r.serviceMs, 0),
				maxInFlight: fake.maxInFlight.get(UPN) ?? 0,
			};
			if (command === 'close') await fake.close();
			port.postMessage(stats);
		})();
	});
	port.postMessage({
		command: 'ready',
		url: fake.url,
		authorityHost: fake.authorityHost,
		tenantId: fake.tenantId,
		clientId: fake.clientId,
		clientSecret: fake.clientSecret,
		caPem: fake.caPem,
	});
}

void graphThread();
