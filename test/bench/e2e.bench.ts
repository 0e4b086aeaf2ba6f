/**
 * The pack end to end in a real n8n 2.41.1 (the e2e install: Node 24, SQLite, n8n's default
 * settings), against a real Dovecot on loopback. Prints one JSON line:
 *
 * p12_e2e_vs_n8n — messages per second in FINISHED executions (counted from the executions n8n
 *   recorded, read through its public API, not from emitted items) of our IMAP trigger v2 →
 *   No Operation ÷ n8n's own Email Trigger (IMAP) 2.2 → No Operation, each with its node's
 *   default options, each in its own fresh n8n, one after the other in the same run, on two
 *   copies of one mailbox of MESSAGES messages of ~21 KB (test/bench/bench-message.ts). Time
 *   runs from the first execution's start (or n8n being ready, whichever came first) to the last
 *   finished execution's stop. Since round 14 the activation poll hands on one batch, returns,
 *   and drains the rest in the background; before, the rest waited for the first scheduled poll
 *   (0–60 s), which the figure counted.
 *   n8n's trigger never imports mail that was there before activation; it starts from the
 *   watermark a previous run would have stored (backlog.ts n8nWorkflow), MESSAGES − 1 messages.
 *   Goal ≥ 5.
 *   Also printed: each side's longest idle gap between one execution's stop and the next one's
 *   start (before round 14 ours had the wait for the first scheduled poll, 0–60 s by the
 *   clock, see docs/performance.md "Real n8n end to end") and its rate without that gap, to tell the schedule from the speed;
 *   and the median execution (start → stop) and median time between executions, to tell n8n's
 *   cost per execution from the trigger's.
 * p12_e2e_rss_mb — the peak RSS of the n8n process group (n8n and its task runner) while ours
 *   ran, sampled twice a second; p12_e2e_rss_n8n_mb the same while n8n's trigger ran. Goal: ours
 *   below n8n's.
 *
 * Since round 16 the executions' data (the trigger's items, to count messages and duplicates) is
 * read once n8n has been idle for READ_WHEN_IDLE_MS, not while the executions run: reading each
 * execution of 100 items through the public API took ~10% of n8n's main thread during the drain
 * (docs/performance.md "Run 5"), which no user's n8n spends. The times are n8n's own
 * startedAt/stoppedAt either way.
 *
 * Environment:
 * - E2E_BENCH_MESSAGES: messages per mailbox (default 10,000).
 * - E2E_BENCH_READ_LIVE=1: read each execution's data as soon as it has finished, as runs 1–4
 *   did (to compare with them).
 * - EMAIL_INTEL_BENCH_BATCH: our trigger's Max Items per Execution (default: the node's
 *   default, 100, with the option left unset). Printed as `ours_batch`. For the lead's choice of
 *   a default: the same run with 250 or 500 shows what bigger executions buy and cost (RSS).
 */
import os from 'node:os';

import { startDovecot } from '../imap/dovecot';
import {
	DEFAULT_BATCH,
	followBacklog,
	messagesPerSecond,
	N8N_TRIGGER,
	n8nCredential,
	n8nWorkflow,
	OUR_TRIGGER,
	ourCredential,
	ourWorkflow,
	peakRssMb,
	seedBacklog,
	type BacklogRun,
} from '../e2e/backlog';
import { ensureN8n, newWorkflowId, startN8n, type CredentialSeed } from '../e2e/harness';

const MESSAGES = Number(process.env.E2E_BENCH_MESSAGES ?? 10_000);
const BATCH = process.env.EMAIL_INTEL_BENCH_BATCH
	? Number(process.env.EMAIL_INTEL_BENCH_BATCH)
	: undefined;
const RUN_TIMEOUT_MS = 40 * 60_000;
/** n8n idle (no execution running or finishing) this long: the drain is over, read the data. */
const READ_WHEN_IDLE_MS = process.env.E2E_BENCH_READ_LIVE === '1' ? undefined : 3000;

const log = (text: string) => process.stderr.write(`[e2e bench] ${text}\n`);

interface Contender {
	name: string;
	trigger: string;
	/** messages the trigger hands on from the seeded mailbox */
	expected: number;
	credential: CredentialSeed;
	workflow: (id: string, credential: CredentialSeed) => object;
}

async function measure(contender: Contender) {
	const workflowId = newWorkflowId();
	const n8n = await startN8n({
		credentials: [contender.credential],
		workflows: [contender.workflow(workflowId, contender.credential)],
		publish: [workflowId],
	});
	const readyAt = Date.now();
	try {
		const loads: number[] = [];
		const loadTimer = setInterval(() => loads.push(os.loadavg()[0]), 5000);
		let run: BacklogRun;
		try {
			run = await followBacklog(n8n, workflowId, contender.trigger, {
				total: contender.expected,
				timeoutMs: RUN_TIMEOUT_MS,
				readDataWhenIdleMs: READ_WHEN_IDLE_MS,
			});
		} finally {
			clearInterval(loadTimer);
		}
		const since = Math.min(readyAt, ...run.executions.map((execution) => execution.startedAt));
		const gapMs = longestIdleGapMs(run);
		const end = Math.max(...run.executions.map((execution) => execution.stoppedAt));
		const figures = {
			msgsPerS: messagesPerSecond(run, since),
			gapS: gapMs / 1000,
			msgsPerSWithoutGap: run.messages / ((end - since - gapMs) / 1000),
			executionMedianMs: median(run.executions.map((e) => e.stoppedAt - e.startedAt)),
			betweenMedianMs: median(betweenExecutionsMs(run)),
			rssMb: peakRssMb(run),
			executions: run.executions.length,
			maxItems: Math.max(...run.executions.map((execution) => execution.subjects.length)),
			duplicates: run.messages - run.distinct,
			failed: run.executions.filter((execution) => execution.status !== 'success').length,
			load: loads.length ? Math.max(...loads) : os.loadavg()[0],
		};
		log(`${contender.name}: ${JSON.stringify(figures)}`);
		return figures;
	} finally {
		await n8n.stop();
	}
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
}

/** For each execution after the first (by start): its start − the previous one's stop. */
function betweenExecutionsMs(run: BacklogRun): number[] {
	const byStart = [...run.executions].sort((a, b) => a.startedAt - b.startedAt);
	return byStart.slice(1).map((execution, i) => execution.startedAt - byStart[i].stoppedAt);
}

/** The longest time no execution ran, between one's stop and the next one's start (by start). */
function longestIdleGapMs(run: BacklogRun): number {
	const byStart = [...run.executions].sort((a, b) => a.startedAt - b.startedAt);
	let gap = 0;
	let busyUntil = byStart[0]?.stoppedAt ?? 0;
	for (const execution of byStart.slice(1)) {
		gap = Math.max(gap, execution.startedAt - busyUntil);
		busyUntil = Math.max(busyUntil, execution.stoppedAt);
	}
	return gap;
}

async function main() {
	const install = await ensureN8n();
	const dovecot = await startDovecot({ users: { alice: 'alicepass', bob: 'bobpass' } });
	try {
		log(`seeding 2 × ${MESSAGES} messages`);
		await seedBacklog(dovecot, ['alice', 'bob'], MESSAGES);
		const ours = await measure({
			name: 'ours',
			trigger: OUR_TRIGGER,
			expected: MESSAGES,
			credential: ourCredential(dovecot, 'alice', 'benchOurs0000001'),
			workflow: (id, credential) =>
				ourWorkflow(id, credential, BATCH === undefined ? {} : { maxItemsPerExecution: BATCH }),
		});
		const theirs = await measure({
			name: "n8n's",
			trigger: N8N_TRIGGER,
			// From its watermark lastMessageUid 1: UIDs 2..n (backlog.ts n8nWorkflow).
			expected: MESSAGES - 1,
			credential: n8nCredential(dovecot, 'bob', 'benchN8n00000001'),
			workflow: n8nWorkflow,
		});
		const round = (value: number, digits = 1) => Number(value.toFixed(digits));
		const line = {
			bench: 'e2e',
			n8n: install.version,
			messages: MESSAGES,
			ours_batch: BATCH ?? DEFAULT_BATCH,
			data_read: READ_WHEN_IDLE_MS === undefined ? 'live' : 'when idle',
			p12_e2e_vs_n8n: round(ours.msgsPerS / theirs.msgsPerS, 2),
			p12_e2e_rss_mb: round(ours.rssMb, 0),
			p12_e2e_rss_n8n_mb: round(theirs.rssMb, 0),
			ours_msgs_per_s: round(ours.msgsPerS),
			n8n_msgs_per_s: round(theirs.msgsPerS),
			ours_idle_gap_s: round(ours.gapS),
			n8n_idle_gap_s: round(theirs.gapS),
			ours_msgs_per_s_without_gap: round(ours.msgsPerSWithoutGap),
			n8n_msgs_per_s_without_gap: round(theirs.msgsPerSWithoutGap),
			// Where a batch's time goes: n8n running and storing one execution (start → stop), and
			// the time from one execution's stop to the next one's start (trigger and n8n between).
			ours_execution_median_ms: ours.executionMedianMs,
			n8n_execution_median_ms: theirs.executionMedianMs,
			ours_between_median_ms: ours.betweenMedianMs,
			n8n_between_median_ms: theirs.betweenMedianMs,
			ours_executions: ours.executions,
			n8n_executions: theirs.executions,
			ours_max_items: ours.maxItems,
			n8n_max_items: theirs.maxItems,
			ours_duplicates: ours.duplicates,
			n8n_duplicates: theirs.duplicates,
			ours_failed: ours.failed,
			n8n_failed: theirs.failed,
			load_max: round(Math.max(ours.load, theirs.load)),
			cores: os.cpus().length,
		};
		process.stdout.write(`${JSON.stringify(line)}\n`);
	} finally {
		await dovecot.stop();
	}
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
		process.exit(1);
	},
);
