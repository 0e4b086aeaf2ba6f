/**
 * The pack in n8n 2.41.1's queue mode (test/e2e/queue/: real PostgreSQL and Redis, one main,
 * two workers, one webhook processor; the e2e n8n install). Prints one JSON line:
 *
 * p12_workers_scaling — finished executions per second of a CPU-bound workflow on the pack with
 *   2 workers ÷ with 1 worker, same run: Webhook (answers at once) → Email Intel Parse (a ~21 KB
 *   message with a PDF and a CSV, test/bench/bench-message.ts, parsed on the worker) → OpenCTI
 *   (a report with both files, against the OpenCTI fake in this process). Each phase POSTs
 *   EXECUTIONS messages to the webhook processor, and its rate is the executions n8n recorded as
 *   finished ÷ (last stop − first start). Phase 1 runs on both workers, then worker-2 is stopped
 *   and phase 2 runs on worker-1 alone (a short warm-up on both comes first). Goal ≥ 1.6 where
 *   the machine has the cores: `cores` is printed beside it, and every process of the cluster,
 *   PostgreSQL, Redis, the fake and this client share them.
 */
import os from 'node:os';

import { start as startOpenCti } from '../fakes/opencti';
import { listExecutions } from '../e2e/backlog';
import { newWorkflowId, packNodeType } from '../e2e/harness';
import { postWebhook, startN8nQueue, type N8nQueue } from '../e2e/queue/cluster';
import { benchMessage } from './bench-message';

const EXECUTIONS = Number(process.env.WORKERS_BENCH_EXECUTIONS ?? 200);
const WARM_UP = 20;
const POSTS_IN_FLIGHT = 8;
const WORKER_CONCURRENCY = 5;
const PATH = 'email-intel-workers-bench';
const FINISHED = new Set(['success', 'error', 'crashed', 'canceled']);

const log = (text: string) => process.stderr.write(`[workers bench] ${text}\n`);

function workflow(id: string) {
	return {
		id,
		name: 'bench: Webhook → Parse → OpenCTI',
		nodes: [
			{
				id: 'w1',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: '7d1f4c2a-9b3e-4f6d-8a2c-1e5b7c9d0f31',
				parameters: { httpMethod: 'POST', path: PATH, responseMode: 'onReceived', options: {} },
			},
			{
				id: 'w2',
				name: 'Email Intel Parse',
				type: packNodeType('emailIntelParse'),
				typeVersion: 1,
				position: [240, 0],
				parameters: { inputType: 'text', source: '={{ $json.body.eml }}' },
			},
			{
				id: 'w3',
				name: 'OpenCTI',
				type: packNodeType('openCti'),
				typeVersion: 1,
				position: [480, 0],
				parameters: {
					resource: 'report',
					operation: 'createFromEmail',
					tlp: 'amber+strict',
					attachmentMimeTypes: 'application/pdf,text/csv',
				},
				credentials: { emailIntelOpenCtiApi: { id: 'workersBenchCti1', name: 'OpenCTI' } },
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'Email Intel Parse', type: 'main', index: 0 }]] },
			'Email Intel Parse': { main: [[{ node: 'OpenCTI', type: 'main', index: 0 }]] },
		},
	};
}

/** POSTs `count` messages (numbered from `first`) and waits until n8n finished their executions. */
async function phase(queue: N8nQueue, workflowId: string, first: number, count: number) {
	const before = new Set((await listExecutions(queue.main, workflowId)).map((e) => String(e.id)));
	let next = first;
	const post = async () => {
		while (next < first + count) {
			const index = next++;
			await postWebhook(queue, PATH, { eml: benchMessage(index, first + count).toString('utf8') });
		}
	};
	await Promise.all(Array.from({ length: POSTS_IN_FLIGHT }, post));
	const deadline = Date.now() + 30 * 60_000;
	for (;;) {
		const mine = (await listExecutions(queue.main, workflowId)).filter(
			(e) => !before.has(String(e.id)),
		);
		const finished = mine.filter((e) => FINISHED.has(e.status));
		if (finished.length >= count) {
			const start = Math.min(...finished.map((e) => Date.parse(e.startedAt)));
			const stop = Math.max(...finished.map((e) => Date.parse(e.stoppedAt)));
			return {
				perSecond: count / ((stop - start) / 1000),
				failed: finished.filter((e) => e.status !== 'success').length,
			};
		}
		if (Date.now() > deadline)
			throw new Error(`only ${finished.length} of ${count} executions finished in 30 minutes`);
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}

async function main() {
	const opencti = await startOpenCti({ version: '6.9.7' });
	const workflowId = newWorkflowId();
	let queue: N8nQueue | undefined;
	try {
		queue = await startN8nQueue({
			workers: 2,
			workerConcurrency: WORKER_CONCURRENCY,
			credentials: [
				{
					id: 'workersBenchCti1',
					name: 'OpenCTI',
					type: 'emailIntelOpenCtiApi',
					data: { url: opencti.url, token: opencti.token, allowUnencryptedHttp: true },
				},
			],
			workflows: [workflow(workflowId)],
			publish: [workflowId],
		});
		const loads: number[] = [];
		const loadTimer = setInterval(() => loads.push(os.loadavg()[0]), 5000);
		await phase(queue, workflowId, 0, WARM_UP);
		const two = await phase(queue, workflowId, WARM_UP, EXECUTIONS);
		log(`2 workers: ${two.perSecond.toFixed(2)} executions/s`);
		await queue.workers[1].stop();
		const one = await phase(queue, workflowId, WARM_UP + EXECUTIONS, EXECUTIONS);
		log(`1 worker: ${one.perSecond.toFixed(2)} executions/s`);
		clearInterval(loadTimer);
		process.stdout.write(
			`${JSON.stringify({
				bench: 'workers',
				p12_workers_scaling: Number((two.perSecond / one.perSecond).toFixed(2)),
				cores: os.cpus().length,
				two_workers_executions_per_s: Number(two.perSecond.toFixed(2)),
				one_worker_executions_per_s: Number(one.perSecond.toFixed(2)),
				executions_per_phase: EXECUTIONS,
				worker_concurrency: WORKER_CONCURRENCY,
				failed: two.failed + one.failed,
				reports: opencti.store.reports.size,
				load_max: Number(Math.max(...loads, os.loadavg()[0]).toFixed(1)),
			})}\n`,
		);
	} finally {
		await queue?.stop();
		await opencti.stop();
	}
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
		process.exit(1);
	},
);
