// A mailbox backlog through a real n8n, followed the way a user would check it: the executions
// n8n recorded (public API), the messages in the finished ones, and n8n's resident memory while
// they run. Shared by test/e2e/imap-10k.e2e.test.ts (ours: exactly once, bounded executions,
// flat memory) and test/bench/e2e.bench.ts (ours against n8n's own Email Trigger (IMAP)).
import type { DovecotServer } from '../imap/dovecot';
import { benchMessage } from '../bench/bench-message';
import { packNodeType, type CredentialSeed, type Json, type N8nInstance } from './harness';
import { groupRssMb } from './rss';

export const OUR_TRIGGER = 'Email Intel IMAP Trigger';
export const N8N_TRIGGER = 'Email Trigger (IMAP)';
/** The IMAP trigger v2's default Max Items per Execution. */
export const DEFAULT_BATCH = 100;

const SEED_CHUNK = 1000;
const SAMPLE_EVERY_MS = 500;
const FINISHED = new Set(['success', 'error', 'crashed', 'canceled']);

/**
 * Seeds `total` messages of ~21 KB (test/bench/bench-message.ts) into the INBOX of each user,
 * 1,000 at a time: every user gets the same bytes (a benchmark compares two triggers on copies
 * of one mailbox).
 */
export async function seedBacklog(dovecot: DovecotServer, users: string[], total: number) {
	for (let first = 0; first < total; first += SEED_CHUNK) {
		const count = Math.min(SEED_CHUNK, total - first);
		const chunk = Array.from({ length: count }, (_, i) => benchMessage(first + i, total));
		for (const user of users) await dovecot.seed(user, 'INBOX', chunk);
	}
}

/** "Threat report <i>" for i in 0..total-1: the subjects seedBacklog writes. */
export function backlogSubjects(total: number): string[] {
	return Array.from({ length: total }, (_, i) => `Threat report ${i}`);
}

/** The pack's IMAP credential for a Dovecot user (plain IMAP on loopback). */
export function ourCredential(dovecot: DovecotServer, user: string, id: string): CredentialSeed {
	return {
		id,
		name: `Dovecot ${user}`,
		type: 'emailIntelImapApi',
		data: {
			host: dovecot.host,
			port: dovecot.port,
			security: 'none',
			user,
			authMethod: 'password',
			password: dovecot.users[user],
		},
	};
}

/** n8n's own IMAP credential (`imap`) for a Dovecot user. */
export function n8nCredential(dovecot: DovecotServer, user: string, id: string): CredentialSeed {
	return {
		id,
		name: `n8n IMAP ${user}`,
		type: 'imap',
		data: {
			host: dovecot.host,
			port: dovecot.port,
			secure: false,
			user,
			password: dovecot.users[user],
		},
	};
}

const noOp = {
	id: 'noop-0000-4000-8000-000000000001',
	name: 'No Operation',
	type: 'n8n-nodes-base.noOp',
	typeVersion: 1,
	position: [260, 0],
	parameters: {},
};

function triggerToNoOp(id: string, name: string, trigger: Record<string, unknown>) {
	return {
		id,
		name,
		nodes: [trigger, noOp],
		connections: {
			[trigger.name as string]: { main: [[{ node: noOp.name, type: 'main', index: 0 }]] },
		},
	};
}

/**
 * Our IMAP trigger (version 2) → No Operation: every option at its default, unless `options`
 * sets some (the benchmark's Max Items per Execution, EMAIL_INTEL_BENCH_BATCH).
 */
export function ourWorkflow(
	id: string,
	credential: CredentialSeed,
	options: Record<string, unknown> = {},
) {
	return triggerToNoOp(id, 'backlog: Email Intel IMAP Trigger', {
		id: 'ours-0000-4000-8000-000000000001',
		name: OUR_TRIGGER,
		type: packNodeType('emailIntelImapTrigger'),
		typeVersion: 2,
		position: [0, 0],
		parameters: {
			pollTimes: { item: [{ mode: 'everyMinute' }] },
			mailboxes: 'INBOX',
			...(Object.keys(options).length > 0 ? { options } : {}),
		},
		credentials: { emailIntelImapApi: { id: credential.id, name: credential.name } },
	});
}

/**
 * n8n's Email Trigger (IMAP) 2.2 with its defaults (INBOX, UNSEEN, simple, mark as read) →
 * No Operation. With its defaults and no stored watermark it fetches only mail that arrives after
 * activation (n8n 2.41 EmailReadImapV2: `catchUp()` runs only when `lastMessageUid` is set), so
 * a backlog already in the mailbox would never come: the workflow is imported with the watermark
 * a previous run of the node would have left (`lastMessageUid: 1`, the lowest UID, as
 * imap-n8n-baseline.js does), and it catches up on UIDs 2..n, n − 1 messages.
 */
export function n8nWorkflow(id: string, credential: CredentialSeed) {
	return {
		...n8nTriggerToNoOp(id, credential),
		staticData: { [`node:${N8N_TRIGGER}`]: { lastMessageUid: 1 } },
	};
}

function n8nTriggerToNoOp(id: string, credential: CredentialSeed) {
	return triggerToNoOp(id, 'backlog: n8n Email Trigger (IMAP)', {
		id: 'n8n0-0000-4000-8000-000000000001',
		name: N8N_TRIGGER,
		type: 'n8n-nodes-base.emailReadImap',
		typeVersion: 2.2,
		position: [0, 0],
		parameters: {},
		credentials: { imap: { id: credential.id, name: credential.name } },
	});
}

export interface FinishedExecution {
	id: string;
	status: string;
	startedAt: number;
	stoppedAt: number;
	/** the subjects of the trigger's items, in order */
	subjects: string[];
}

export interface RssSample {
	/** ms since the epoch */
	at: number;
	rssMb: number;
	/** messages in finished executions when the sample was taken */
	messages: number;
}

export interface BacklogRun {
	executions: FinishedExecution[];
	samples: RssSample[];
	/** items in finished executions (duplicates counted) */
	messages: number;
	/** distinct subjects in finished executions */
	distinct: number;
}

export interface FollowOptions {
	/** distinct messages to wait for */
	total: number;
	timeoutMs: number;
	/**
	 * Gives up waiting (and returns what it has, for the caller's assertions to name what is
	 * missing) once no execution has finished for this long; without it, only timeoutMs ends it.
	 */
	idleMs?: number;
	/** runs between samples with the run so far (the restart test restarts n8n from here) */
	onProgress?: (run: BacklogRun) => Promise<void> | void;
	/**
	 * Reads the executions' data only once n8n has had no execution running and none finishing
	 * for this long, instead of each one as soon as it has finished. Reading an execution of 100
	 * items through the public API (parse of ~0.5 MB of stored data, a ~1 MB JSON answer) runs on
	 * n8n's main thread, the thread the triggers and the executions share: measured at ~10% of it
	 * during a drain (docs/performance.md, run 5), work a user's n8n does not do. The benchmark
	 * sets it; the tests, which follow progress (the restart test), do not.
	 */
	readDataWhenIdleMs?: number;
}

/** Every execution of a workflow without its data (id, status, times), oldest first: cheap to poll. */
export async function listExecutions(n8n: N8nInstance, workflowId: string): Promise<Json[]> {
	const all: Json[] = [];
	let cursor: string | undefined;
	do {
		const query = new URLSearchParams({ workflowId, limit: '250' });
		if (cursor) query.set('cursor', cursor);
		const page = (await n8n.api('GET', `/executions?${query}`)) as {
			data: Json[];
			nextCursor?: string | null;
		};
		all.push(...page.data);
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return all.sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * Follows a workflow's executions until `total` distinct messages are in finished ones, sampling
 * the n8n process group's RSS twice a second. Each finished execution's data is read once
 * (only its trigger's item subjects are kept), so the follower's own memory stays small.
 */
export async function followBacklog(
	n8n: N8nInstance,
	workflowId: string,
	triggerNode: string,
	options: FollowOptions,
): Promise<BacklogRun> {
	const run: BacklogRun = { executions: [], samples: [], messages: 0, distinct: 0 };
	const seen = new Set<string>();
	const subjects = new Set<string>();
	const deadline = Date.now() + options.timeoutMs;
	let lastFinished = Date.now();
	const unread: Json[] = [];
	const collect = async (readAll = false) => {
		const listing = await listExecutions(n8n, workflowId);
		for (const listed of listing) {
			if (seen.has(listed.id) || !FINISHED.has(listed.status)) continue;
			seen.add(listed.id);
			lastFinished = Date.now();
			unread.push(listed);
		}
		const defer = options.readDataWhenIdleMs;
		const idle =
			defer === undefined ||
			readAll ||
			(listing.every((listed) => FINISHED.has(listed.status)) && Date.now() - lastFinished > defer);
		if (!idle) return;
		for (const listed of unread.splice(0)) {
			const full = (await n8n.api('GET', `/executions/${listed.id}?includeData=true`)) as Json;
			const items = triggerItems(full?.data, triggerNode);
			const names = items.map((item) => String(item.json?.subject ?? ''));
			run.executions.push({
				id: String(listed.id),
				status: listed.status,
				startedAt: Date.parse(listed.startedAt),
				stoppedAt: Date.parse(listed.stoppedAt),
				subjects: names,
			});
			run.messages += names.length;
			for (const name of names) subjects.add(name);
		}
		run.distinct = subjects.size;
	};
	// Sampled on its own timer: reading the executions takes a while when n8n is busy.
	const sample = () => {
		const pid = n8n.pid();
		if (pid !== undefined)
			run.samples.push({ at: Date.now(), rssMb: groupRssMb(pid), messages: run.messages });
	};
	const sampler = setInterval(sample, SAMPLE_EVERY_MS);
	try {
		sample();
		while (run.distinct < options.total) {
			if (Date.now() > deadline)
				throw new Error(
					`${run.distinct} of ${options.total} messages in ${run.executions.length} finished executions after ${options.timeoutMs / 1000} s; n8n log tail:\n${n8n.logs().slice(-6000)}`,
				);
			await collect();
			if (options.idleMs !== undefined && Date.now() - lastFinished > options.idleMs) break;
			// Time spent in the callback (a restart of n8n) does not count as idle.
			const called = Date.now();
			await options.onProgress?.(run);
			lastFinished += Date.now() - called;
			await new Promise((resolve) => setTimeout(resolve, 1000));
		}
		// An execution still running now (a duplicate would be one) has a few seconds to finish.
		await new Promise((resolve) => setTimeout(resolve, 3000));
		await collect(true);
	} finally {
		clearInterval(sampler);
	}
	run.executions.sort((a, b) => Number(a.id) - Number(b.id));
	return run;
}

/** Something done to n8n once in the middle of a backlog (a restart, a kill). */
export interface Interruption {
	/** Distinct messages in finished executions before it may happen. */
	after: number;
	/** Checked on each progress step from then on; it happens on the first that says yes. */
	when?: () => Promise<boolean>;
	/** Does it, with the number of distinct messages done so far. */
	run: (distinct: number) => Promise<void>;
}

/** followBacklog with one interruption; `interruptedAt`: when it began (ms since the epoch). */
export async function followInterrupted(
	n8n: N8nInstance,
	workflowId: string,
	triggerNode: string,
	options: Omit<FollowOptions, 'onProgress'>,
	interruption: Interruption,
): Promise<{ run: BacklogRun; interruptedAt?: number }> {
	let interruptedAt: number | undefined;
	const run = await followBacklog(n8n, workflowId, triggerNode, {
		...options,
		async onProgress(progress) {
			if (interruptedAt !== undefined || progress.distinct < interruption.after) return;
			if (interruption.when && !(await interruption.when())) return;
			interruptedAt = Date.now();
			await interruption.run(progress.distinct);
		},
	});
	return { run, interruptedAt };
}

/**
 * The trigger's items in an execution: from the trigger's run, or, for an execution n8n was
 * killed in (marked crashed on the next start), from the input n8n stored with the execution
 * when it created it. n8n's crash recovery writes a placeholder item
 * (`isArtificialRecoveredEventItem`) as the run of a node its event log saw finish.
 */
function triggerItems(data: Json, triggerNode: string): Json[] {
	const runs = data?.resultData?.runData?.[triggerNode] ?? [];
	const ran: Json[] | undefined = runs[runs.length - 1]?.data?.main?.[0];
	if (ran && !ran.some((item) => item?.json?.isArtificialRecoveredEventItem)) return ran;
	const stack: Json[] = data?.executionData?.nodeExecutionStack ?? [];
	return stack.find((entry) => entry?.node?.name === triggerNode)?.data?.main?.[0] ?? [];
}

/** Messages per second in finished executions, from `since` to the last one's stop. */
export function messagesPerSecond(run: BacklogRun, since: number): number {
	const end = Math.max(...run.executions.map((execution) => execution.stoppedAt));
	return run.messages / ((end - since) / 1000);
}

/** The highest RSS sample, overall or of the samples taken while `messages` was within [from, to). */
export function peakRssMb(run: BacklogRun, from = 0, to = Infinity): number {
	const within = run.samples.filter((s) => s.messages >= from && s.messages < to);
	return Math.max(0, ...within.map((sample) => sample.rssMb));
}
