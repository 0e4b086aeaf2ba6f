// A worker killed in the middle of a job, in n8n 2.41.1's queue mode (test/e2e/queue/: real
// PostgreSQL and Redis, main + 2 workers + webhook processor): the IMAP trigger (v2, real
// Dovecot) hands a backlog to executions that end in the OpenCTI node (the OpenCTI fake, which
// dedupes reports by standard_id as the platform does). worker-1 gets SIGKILL while it runs one.
//
// What n8n 2.41 does then (read in its source, packages/cli/src/scaling/scaling.service.ts,
// workflow-runner.ts, executions/execution.service.ts): it builds its Bull queue with
// `maxStalledCount: 0`, hard-coded, so no setting makes it run a stalled job again. Once the dead
// worker's job lock expires (QUEUE_WORKER_LOCK_DURATION), the next stalled-job check of a live
// worker (QUEUE_WORKER_STALLED_INTERVAL) fails the job, and the main's
// `WorkflowRunner.processError` records the execution as failed, REPLACING its stored data with
// an empty run (no run data, an empty node stack, only the stalled error): the trigger's items
// are gone from n8n. The operator's retry (`POST /api/v1/executions/{id}/retry`, the editor's
// Retry button) therefore runs no node at all and ends in `error` with the same message
// (`ExecutionService.retry` keeps `resultData.error` when no node was last executed, and
// `determineFinalExecutionStatus` turns any stored error into `error`). This test holds those
// facts (a later n8n that keeps the items would fail it, and README "Queue mode" must then
// change), then does what README tells operators to do instead: replay the mailbox through the
// pack's Email Intel IMAP node (List → Get) into the same OpenCTI node. The end state must be
// exact: one report per email by standard_id, each with its two files, no invalid request.
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { start as startOpenCti, type FakeOpenCti } from '../fakes/opencti';
import { backlogSubjects, listExecutions, ourCredential, seedBacklog } from './backlog';
import { newWorkflowId, packNodeType, type CredentialSeed, type Json } from './harness';
import { postWebhook, startN8nQueue, type N8nQueue } from './queue/cluster';

const MESSAGES = 150;
const BATCH = 25;
const TERMINAL = new Set(['success', 'error', 'crashed', 'canceled']);
const REPLAY_PATH = 'email-intel-kill-worker-replay';
// n8n 2.41's text for a job that stalled (MaxStalledCountError), which the retry carries over.
const STALLED = /failed to be processed too many times/;

const log = (text: string) => process.stderr.write(`[kill-worker] ${text}\n`);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(
	what: string,
	condition: () => Promise<boolean> | boolean,
	timeoutMs: number,
	state: () => string,
) {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline)
			throw new Error(`${what} did not happen within ${timeoutMs / 1000} s; ${state()}`);
		await delay(250);
	}
}

/** What n8n said about jobs, stalls and failed executions: the lines a failure needs. */
function queueLines(logs: string): string {
	return logs
		.split('\n')
		.filter((line) =>
			/stall|Problem with execution|recover|crash|retry|Worker (started|finished)/i.test(line),
		)
		.slice(-60)
		.join('\n');
}

/** Executions a worker has started and not finished, read from its log. */
function runningOn(logs: string): string[] {
	const started = [...logs.matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]);
	const finished = new Set([...logs.matchAll(/Worker finished execution (\d+)/g)].map((m) => m[1]));
	return started.filter((id) => !finished.has(id));
}

/** The OpenCTI node both workflows end in: the same options, so the same report per email. */
function openCtiNode(id: string, position: [number, number]) {
	return {
		id,
		name: 'OpenCTI',
		type: packNodeType('openCti'),
		typeVersion: 1,
		position,
		parameters: {
			resource: 'report',
			operation: 'createFromEmail',
			tlp: 'amber+strict',
			attachmentMimeTypes: 'application/pdf,text/csv',
			options: { externalReferenceId: '=mid:{{ $json.messageId }}' },
		},
		credentials: { emailIntelOpenCtiApi: { id: 'killWorkerCti001', name: 'OpenCTI' } },
	};
}

/**
 * The operator's replay (README "Queue mode"): Webhook → Email Intel IMAP Message List (one page
 * of the whole INBOX) → Split Out the entries → Email Intel IMAP Message Get (by locator: the same
 * normalized item the trigger emits) → the same OpenCTI node. Run on a worker like any execution.
 */
function replayWorkflow(id: string, imap: CredentialSeed) {
	const credentials = { emailIntelImapApi: { id: imap.id, name: imap.name } };
	return {
		id,
		name: 'queue: replay INBOX → OpenCTI',
		nodes: [
			{
				id: 'r1',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: '3c2b8e51-6f0d-4a7e-9b1c-5d4e2f7a9c08',
				parameters: {
					httpMethod: 'POST',
					path: REPLAY_PATH,
					responseMode: 'onReceived',
					options: {},
				},
			},
			{
				id: 'r2',
				name: 'List',
				type: packNodeType('emailIntelImap'),
				typeVersion: 1,
				position: [220, 0],
				parameters: {
					resource: 'message',
					operation: 'list',
					mailbox: 'INBOX',
					pageSize: 1000,
					search: {},
				},
				credentials,
			},
			{
				id: 'r3',
				name: 'Split Out',
				type: 'n8n-nodes-base.splitOut',
				typeVersion: 1,
				position: [440, 0],
				parameters: { fieldToSplitOut: 'messages', options: {} },
			},
			{
				id: 'r4',
				name: 'Get',
				type: packNodeType('emailIntelImap'),
				typeVersion: 1,
				position: [660, 0],
				parameters: { resource: 'message', operation: 'get', options: {} },
				credentials,
			},
			openCtiNode('r5', [880, 0]),
		],
		connections: {
			Webhook: { main: [[{ node: 'List', type: 'main', index: 0 }]] },
			List: { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
			'Split Out': { main: [[{ node: 'Get', type: 'main', index: 0 }]] },
			Get: { main: [[{ node: 'OpenCTI', type: 'main', index: 0 }]] },
		},
	};
}

/** What n8n stored of a finished execution: which nodes ran, its node stack, its error. */
interface StoredRun {
	status: string;
	ranNodes: string[];
	stack: number;
	error: string;
}

async function storedRun(queue: N8nQueue, id: string): Promise<StoredRun> {
	const execution = (await queue.main.api('GET', `/executions/${id}?includeData=true`)) as Json;
	const data = execution?.data ?? {};
	return {
		status: String(execution?.status),
		ranNodes: Object.keys(data.resultData?.runData ?? {}),
		stack: (data.executionData?.nodeExecutionStack ?? []).length,
		error: String(data.resultData?.error?.message ?? ''),
	};
}

describe('queue mode: a worker killed mid-job; n8n cannot retry it, the replay makes the end state exact', () => {
	const workflowId = newWorkflowId();
	const replayId = newWorkflowId();
	let dovecot: DovecotServer;
	let opencti: FakeOpenCti;
	let queue: N8nQueue;

	beforeAll(async () => {
		dovecot = await startDovecot({ users: { alice: 'alicepass' } });
		await seedBacklog(dovecot, ['alice'], MESSAGES);
		opencti = await startOpenCti({ version: '6.9.7' });
		const imap = ourCredential(dovecot, 'alice', 'killWorkerImap01');
		queue = await startN8nQueue({
			workers: 2,
			workerConcurrency: 5,
			env: {
				// A dead worker's job counts as stalled 20 s after its last lock renewal (n8n: 60 s)...
				QUEUE_WORKER_LOCK_DURATION: '20000',
				QUEUE_WORKER_LOCK_RENEW_TIME: '5000',
				// ...and the live worker looks for stalled jobs every 5 s (n8n: 30 s).
				QUEUE_WORKER_STALLED_INTERVAL: '5000',
				// The leader's sweep for executions no job holds: every minute (n8n: 3).
				N8N_EXECUTIONS_QUEUE_RECOVERY_INTERVAL: '1',
			},
			credentials: [
				imap,
				{
					id: 'killWorkerCti001',
					name: 'OpenCTI',
					type: 'emailIntelOpenCtiApi',
					data: { url: opencti.url, token: opencti.token, allowUnencryptedHttp: true },
				},
			],
			workflows: [
				{
					id: workflowId,
					name: 'queue: IMAP → OpenCTI, a worker killed',
					nodes: [
						{
							id: 'k1',
							name: 'IMAP Trigger',
							type: packNodeType('emailIntelImapTrigger'),
							typeVersion: 2,
							position: [0, 0],
							parameters: {
								pollTimes: { item: [{ mode: 'everyMinute' }] },
								mailboxes: 'INBOX',
								options: { maxItemsPerExecution: BATCH },
							},
							credentials: { emailIntelImapApi: { id: imap.id, name: imap.name } },
						},
						openCtiNode('k2', [260, 0]),
					],
					connections: {
						'IMAP Trigger': { main: [[{ node: 'OpenCTI', type: 'main', index: 0 }]] },
					},
				},
				replayWorkflow(replayId, imap),
			],
			publish: [workflowId, replayId],
		});
	}, 420_000);

	afterAll(async () => {
		await queue?.stop();
		await dovecot?.stop();
		await opencti?.stop();
	});

	it(`SIGKILL of worker-1 mid-job (${MESSAGES}-message backlog): only that job fails, its retry runs nothing, the replay leaves one whole report per email`, async () => {
		const [victim] = queue.workers;
		let executions: Json[] = [];
		const state = () =>
			`executions: ${executions.map((e) => `${e.id} ${e.status}`).join(', ')}\nqueue log:\n${queueLines(queue.logs())}`;
		const statusOf = (id: string) => executions.find((e) => String(e.id) === id)?.status;
		let killed: string[] = [];
		// A job worker-1 has started and not finished (its log), that n8n has not recorded as
		// finished either (the log line comes after the database write), once another execution
		// has finished: the kill lands in the middle of the run and of a job.
		await until(
			'worker-1 running a job after another execution finished',
			async () => {
				const running = runningOn(victim.logs());
				if (running.length === 0) return false;
				executions = await listExecutions(queue.main, workflowId);
				const others = executions.filter((e) => !running.includes(String(e.id)));
				if (!others.some((e) => e.status === 'success')) return false;
				killed = running.filter((id) => !TERMINAL.has(statusOf(id) ?? ''));
				return killed.length > 0;
			},
			300_000,
			state,
		);
		await victim.kill();
		// A job that ended between the check and the kill is not a killed one.
		executions = await listExecutions(queue.main, workflowId);
		killed = killed.filter((id) => statusOf(id) !== 'success');
		log(`killed worker-1 while it ran execution(s) ${killed.join(', ')}`);
		expect(killed.length).toBeGreaterThan(0);

		// n8n fails the stalled job; the trigger's poll goes on with the live worker. Wait until no
		// execution is left unfinished and the killed one(s) failed.
		await until(
			'every execution finished or failed, the killed one(s) among the failed',
			async () => {
				executions = await listExecutions(queue.main, workflowId);
				const open = executions.filter((e) => !TERMINAL.has(e.status));
				const failedIds = executions.filter((e) => e.status !== 'success').map((e) => String(e.id));
				return open.length === 0 && killed.every((id) => failedIds.includes(id));
			},
			300_000,
			state,
		);
		const failed = executions.filter((e) => e.status !== 'success');
		log(`after the kill: ${state()}`);
		// Every email of the executions that succeeded has its report; of the killed job's,
		// whatever it wrote before the kill. (The trigger may still be handing on later batches.)
		const atLeast = MESSAGES - BATCH * killed.length;
		await until(
			`${atLeast} reports`,
			() => opencti.store.reports.size >= atLeast,
			120_000,
			() => `${opencti.store.reports.size} reports; ${state()}`,
		);
		const beforeReplay = opencti.store.reports.size;

		// What n8n kept of each killed execution, and what its retry does (the retry call returns
		// once the retried execution has finished on the live worker).
		const stored: StoredRun[] = [];
		const retried: StoredRun[] = [];
		for (const id of killed) {
			stored.push(await storedRun(queue, id));
			const retry = (await queue.main.api('POST', `/executions/${id}/retry`, {})) as Json;
			retried.push(await storedRun(queue, String(retry.id)));
		}
		log(`stored killed execution(s): ${JSON.stringify(stored)}`);
		log(`their retries: ${JSON.stringify(retried)}`);

		// The operator's replay: the whole INBOX through List → Get → OpenCTI on a worker.
		await postWebhook(queue, REPLAY_PATH, {});
		let replays: Json[] = [];
		await until(
			'the replay finished',
			async () => {
				replays = await listExecutions(queue.main, replayId);
				return replays.length > 0 && replays.every((e) => TERMINAL.has(e.status));
			},
			300_000,
			() => `replays: ${JSON.stringify(replays)}; ${state()}`,
		);
		const reports = [...opencti.store.reports.values()];
		const upserted = reports.filter((report) => report.upserts > 1).length;
		log(
			`${beforeReplay} reports before the replay, ${reports.length} after; ${upserted} written more than once (upserts by standard_id)`,
		);

		// Only what worker-1 was running failed.
		expect(failed.map((e) => String(e.id)).sort()).toEqual([...killed].sort());
		// n8n replaced each killed execution's data with an empty run: the trigger's items are gone.
		for (const run of stored) {
			expect(run.ranNodes).toEqual([]);
			expect(run.stack).toBe(0);
			expect(run.error).toMatch(STALLED);
		}
		// So its retry runs no node and ends in `error` with the stalled error carried over.
		for (const run of retried) {
			expect(run).toEqual({
				status: 'error',
				ranNodes: [],
				stack: 0,
				error: expect.stringMatching(STALLED),
			});
		}
		// Before the replay, the killed batch is missing (at most what it wrote before the kill).
		expect(beforeReplay).toBeGreaterThanOrEqual(atLeast);
		expect(beforeReplay).toBeLessThanOrEqual(MESSAGES);
		// After it, the end state is exact: one report per email by standard_id, each whole.
		expect(replays.map((e) => e.status)).toEqual(['success']);
		expect(reports.map((report) => report.name).sort()).toEqual(backlogSubjects(MESSAGES).sort());
		for (const report of reports) {
			const index = /(\d+)$/.exec(report.name)?.[1];
			expect(report.files.map((file) => file.name).sort()).toEqual([
				`iocs-${index}.csv`,
				`report-${index}.pdf`,
			]);
		}
		expect(opencti.invalidRequests()).toEqual([]);
	}, 900_000);
});
