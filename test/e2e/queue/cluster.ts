// n8n in queue mode for e2e tests (README "Queue mode"): a throwaway PostgreSQL and Redis
// (servers.ts), then one main, `workers` workers and `webhookProcessors` webhook processors
// (default 1), every process with the same user folder (so the same installed pack and
// N8N_ENCRYPTION_KEY), the same database and the same Redis. The main runs the triggers and the
// subscription lifecycle, the webhook processors answer production webhook calls (the main's
// webhook routes are switched off, as in a deployment behind a load balancer), the workers run
// the executions.
//
//   const cluster = await startN8nQueue({ workflows, credentials, publish: [id] });
//   cluster.main.executions(id); cluster.webhookUrl; cluster.workers[0].stop();
//   await cluster.stop();
import {
	ensureN8n,
	spawnN8nProcess,
	startN8n,
	type CredentialSeed,
	type N8nInstance,
} from '../harness';
import { freePorts, type Spawned } from '../processes';
import { startPostgres, startRedis, type LabServer, type PostgresServer } from './servers';

/** What each process says in its run data: a Set node reads it with `{{ $env.EMAIL_INTEL_E2E_PROCESS }}`. */
export const PROCESS_ENV = 'EMAIL_INTEL_E2E_PROCESS';

const WORKER_READY = 'n8n worker is now ready';
const WEBHOOK_READY = 'Webhook listener waiting for requests.';
const VERBOSE = process.env.EMAIL_INTEL_E2E_VERBOSE === '1';

export interface QueueStartOptions {
	workflows?: object[];
	credentials?: CredentialSeed[];
	publish?: string[];
	/** extra environment for every process */
	env?: Record<string, string>;
	/** number of `n8n worker` processes (default 2) */
	workers?: number;
	/** jobs one worker runs at once (`n8n worker --concurrency`; n8n's default is 10) */
	workerConcurrency?: number;
	/** webhook processors (default 1); WEBHOOK_URL names the first, a test spreads calls itself */
	webhookProcessors?: number;
}

export interface QueueProcess {
	/** `main`, `worker-1`, `worker-2`, `webhook` (also its EMAIL_INTEL_E2E_PROCESS) */
	name: string;
	logs(): string;
	/** SIGKILL to the process group, no grace: a crash as the operator would see it */
	kill(): Promise<number>;
	/** SIGTERM, SIGKILL after 10 s */
	stop(): Promise<number>;
}

export interface N8nQueue {
	/** the main: REST and public API, triggers, activation */
	main: N8nInstance;
	workers: QueueProcess[];
	webhook: QueueProcess;
	/** http://127.0.0.1:<webhook processor's port>/ (WEBHOOK_URL of every process) */
	webhookUrl: string;
	/** every webhook processor's own URL, the first being webhookUrl */
	webhookUrls: string[];
	postgres: PostgresServer;
	redis: LabServer;
	/** every process's output, each line prefixed with its name */
	logs(): string;
	stop(): Promise<void>;
}

/** `webhook`, then `webhook-2`, `webhook-3`, ... (the first keeps its name for older tests). */
function webhookName(index: number): string {
	return index === 0 ? 'webhook' : `webhook-${index + 1}`;
}

/** The environment that makes n8n 2.41 run in queue mode on the lab's PostgreSQL and Redis. */
function queueEnv(postgres: PostgresServer, redis: LabServer, webhookPort: number) {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: redis.host,
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: postgres.host,
		DB_POSTGRESDB_PORT: String(postgres.port),
		DB_POSTGRESDB_USER: postgres.user,
		DB_POSTGRESDB_DATABASE: postgres.database,
		DB_POSTGRESDB_PASSWORD: '',
		// Binary data (attachments the trigger stores on the main, read by the OpenCTI node on a
		// worker) must be readable from every process: n8n 2.41's `database` mode keeps it in
		// PostgreSQL (its default in queue mode; said here so a changed default cannot hide).
		N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		// Production webhook calls go to the webhook processor only.
		WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/`,
		N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
		// The run data says which process ran a node ($env in a Set node).
		N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
		// Manual runs would otherwise go to workers too; nothing here runs manually.
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		// A Graph burst is one POST per message, and n8n reads the database for each before the
		// node sees it: with n8n's default pool of 2 connections, 40 POSTs on a busy machine
		// waited past DB_POSTGRESDB_CONNECTION_TIMEOUT (20 s) and failed (README "Queue mode").
		DB_POSTGRESDB_POOL_SIZE: '10',
	};
}

/**
 * Waits until the main reports a workflow's publication settled (published, partial or failed),
 * as the harness does after a start: n8n 2.41 may finish an activation in the background, and a
 * webhook called before that answers 404.
 */
async function waitForPublication(main: N8nInstance, id: string, timeoutMs = 120_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const { status } = (await main.rest('GET', `/workflows/${id}/publication-status`)) as {
			status: string;
		};
		if (['published', 'partial', 'failed'].includes(status)) return;
		if (Date.now() > deadline)
			throw new Error(`workflow ${id} still "${status}" ${timeoutMs} ms after its activation`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

export async function startN8nQueue(options: QueueStartOptions = {}): Promise<N8nQueue> {
	const install = await ensureN8n();
	const postgres = await startPostgres();
	let redis: LabServer | undefined;
	const processes: Array<{ name: string; proc: Spawned; output: () => string }> = [];
	let combined = '';
	const output = (name: string) => {
		let own = '';
		return {
			sink: (chunk: Buffer) => {
				const text = chunk.toString();
				own = (own + text).slice(-4_000_000);
				combined = (combined + text.replace(/^(?=.)/gm, `[${name}] `)).slice(-8_000_000);
				if (VERBOSE) process.stderr.write(text.replace(/^(?=.)/gm, `[${name}] `));
			},
			read: () => own,
		};
	};
	const stopAll = async () => {
		for (const { proc } of [...processes].reverse()) await proc.stop(10_000);
		processes.length = 0;
		await redis?.stop();
		await postgres.stop();
	};

	try {
		redis = await startRedis();
		const workerCount = options.workers ?? 2;
		const webhookCount = options.webhookProcessors ?? 1;
		const ports = await freePorts(2 * webhookCount + workerCount);
		const webhookPorts = ports.slice(0, webhookCount);
		const webhookBrokers = ports.slice(webhookCount, 2 * webhookCount);
		const workerBrokers = ports.slice(2 * webhookCount);
		const [webhookPort] = webhookPorts;
		const env = { ...queueEnv(postgres, redis, webhookPort), ...options.env };

		const startProcess = async (
			name: string,
			args: string[],
			serverEnv: NodeJS.ProcessEnv,
			extra: Record<string, string>,
			readyLine: string,
		) => {
			const out = output(name);
			const proc = await spawnN8nProcess(
				install,
				args,
				{
					...serverEnv,
					...extra,
					[PROCESS_ENV]: name,
					// Each process writes its own event log in the shared user folder.
					N8N_EVENTBUS_LOGWRITER_LOGBASENAME: `n8nEventLog-${name}`,
				},
				readyLine,
				out.sink,
			);
			processes.push({ name, proc, output: out.read });
			return proc;
		};

		const main = await startN8n({
			workflows: options.workflows,
			credentials: options.credentials,
			env: {
				...env,
				[PROCESS_ENV]: 'main',
				N8N_EVENTBUS_LOGWRITER_LOGBASENAME: 'n8nEventLog-main',
			},
			// The CLI import has migrated the database by now; the webhook processor must listen
			// before the main activates a Graph trigger (Graph validates the URL at creation).
			beforeStart: async (serverEnv) => {
				const started: Array<Promise<unknown>> = [];
				for (let index = 0; index < webhookCount; index++)
					started.push(
						startProcess(
							webhookName(index),
							['webhook'],
							serverEnv,
							{
								N8N_PORT: String(webhookPorts[index]),
								N8N_RUNNERS_BROKER_PORT: String(webhookBrokers[index]),
							},
							WEBHOOK_READY,
						),
					);
				for (let index = 0; index < workerCount; index++)
					started.push(
						startProcess(
							`worker-${index + 1}`,
							['worker', `--concurrency=${options.workerConcurrency ?? 10}`],
							serverEnv,
							{ N8N_RUNNERS_BROKER_PORT: String(workerBrokers[index]) },
							WORKER_READY,
						),
					);
				const outcomes = await Promise.allSettled(started);
				const failed = outcomes.find((outcome) => outcome.status === 'rejected');
				if (failed) throw (failed as PromiseRejectedResult).reason;
			},
		});
		// Activated through the running main rather than `n8n publish:workflow` before it starts:
		// each CLI call is a full n8n boot against PostgreSQL (≈ 20 s here).
		for (const id of options.publish ?? []) {
			await main.api('POST', `/workflows/${id}/activate`);
			await waitForPublication(main, id);
		}

		const handle = (name: string): QueueProcess => {
			const entry = () => processes.find((p) => p.name === name);
			return {
				name,
				logs: () => entry()?.output() ?? '',
				kill: async () => {
					const found = entry();
					if (!found) return 0;
					if (found.proc.child.pid !== undefined) process.kill(-found.proc.child.pid, 'SIGKILL');
					return found.proc.exited;
				},
				stop: async () => {
					const found = entry();
					if (!found) return 0;
					return found.proc.stop(10_000);
				},
			};
		};
		const workers = Array.from({ length: workerCount }, (_, i) => handle(`worker-${i + 1}`));
		const stopped = { done: false };
		const servers = { redis };
		return {
			main,
			workers,
			webhook: handle('webhook'),
			webhookUrl: `http://127.0.0.1:${webhookPort}/`,
			webhookUrls: webhookPorts.map((port) => `http://127.0.0.1:${port}/`),
			postgres,
			redis: servers.redis,
			logs: () =>
				`${combined}\n[main] ${main
					.logs()
					.slice(-200_000)
					.replace(/\n(?=.)/g, '\n[main] ')}`,
			async stop() {
				if (stopped.done) return;
				stopped.done = true;
				// The processes first: the main's stop() removes the user folder they share.
				for (const { proc } of [...processes].reverse()) await proc.stop(10_000);
				await main.stop();
				await stopAll();
			},
		};
	} catch (error) {
		await stopAll();
		throw error;
	}
}

/**
 * POSTs JSON to a production webhook path on the cluster's webhook processor. A 404 is tried
 * again for up to `registeredWithinMs` (the path is unknown there until the main has stored the
 * activated workflow's webhooks); any other failure, or a 404 past that, throws with n8n's answer.
 */
export async function postWebhook(
	queue: N8nQueue,
	path: string,
	body: unknown,
	registeredWithinMs = 60_000,
): Promise<void> {
	const deadline = Date.now() + registeredWithinMs;
	for (;;) {
		const response = await fetch(`${queue.webhookUrl}webhook/${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		const text = await response.text();
		if (response.ok) return;
		if (response.status !== 404 || Date.now() > deadline)
			throw new Error(`POST webhook/${path}: HTTP ${response.status}: ${text.slice(0, 2000)}`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}
