// A large backlog through the Email Intel IMAP Trigger v2 in a real n8n 2.41.1 (single process,
// SQLite, n8n's default settings, every option of the node at its default), against a real
// Dovecot: messages of ~21 KB (text, HTML, a PDF and a CSV stored as binary data), checked on
// the executions n8n recorded (public API), as a user would:
// - every message in exactly one finished execution, none above the default Max Items per
//   Execution (100), all successful;
// - n8n's memory flat: the RSS peak of n8n's process group (n8n and its task runner) while the
//   second half of the messages is handed on stays within RSS_GROWTH_MB of the first half's peak;
// - the same exactly-once end state when n8n is restarted in the middle of the backlog.
// BACKLOG messages: 5,000 by default (README "End-to-end tests": the suite's time budget);
// EMAIL_INTEL_E2E_BACKLOG=10000 runs the full size (measured in the README).
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import {
	backlogSubjects,
	DEFAULT_BATCH,
	followBacklog,
	followInterrupted,
	OUR_TRIGGER,
	ourCredential,
	ourWorkflow,
	peakRssMb,
	seedBacklog,
	type BacklogRun,
} from './backlog';
import { newWorkflowId, startN8n, type N8nInstance } from './harness';

const BACKLOG = Number(process.env.EMAIL_INTEL_E2E_BACKLOG ?? 5000);
/** The memory bound: second half's RSS peak ≤ first half's + this. */
const RSS_GROWTH_MB = 150;
const RUN_TIMEOUT_MS = 20 * 60_000;
/**
 * No execution finished for this long (a restart of n8n not counted): the backlog is not coming,
 * stop waiting and let the assertions say what is missing. Covers the wait for the next
 * scheduled poll (every minute) with room for a loaded machine.
 */
const IDLE_MS = 120_000;

const log = (text: string) => process.stderr.write(`[imap-10k] ${text}\n`);

/**
 * Every execution succeeded and held at most a batch; no message came twice; at most
 * `maxMissing` messages of the backlog are in no execution (0: exactly once).
 */
function expectExactlyOnce(run: BacklogRun, maxMissing = 0) {
	expect(run.executions.map((execution) => execution.status)).toEqual(
		run.executions.map(() => 'success'),
	);
	const oversized = run.executions.filter((e) => e.subjects.length > DEFAULT_BATCH);
	expect(oversized.map((e) => `${e.id}: ${e.subjects.length} items`)).toEqual([]);
	const subjects = run.executions.flatMap((execution) => execution.subjects);
	const got = new Set(subjects);
	const missing = backlogSubjects(BACKLOG).filter((subject) => !got.has(subject));
	if (missing.length > 0)
		log(
			`${missing.length} message(s) in no execution, from "${missing[0]}" to "${missing.at(-1)}"`,
		);
	// Named, so that a failure says which messages went missing or came twice.
	expect({
		missingWithinBound: missing.length <= maxMissing,
		firstMissing: missing.length <= maxMissing ? [] : missing.slice(0, 3),
		duplicates: subjects.length - got.size,
	}).toEqual({ missingWithinBound: true, firstMissing: [], duplicates: 0 });
	expect(subjects).toHaveLength(BACKLOG - missing.length);
}

function describeRun(run: BacklogRun, startedAt: number) {
	const first = Math.min(...run.executions.map((e) => e.startedAt));
	const last = Math.max(...run.executions.map((e) => e.stoppedAt));
	return (
		`${run.messages} messages in ${run.executions.length} executions, ` +
		`first started ${((first - startedAt) / 1000).toFixed(0)} s after start, ` +
		`${((last - first) / 1000).toFixed(0)} s from first start to last stop; ` +
		`RSS peak ${peakRssMb(run).toFixed(0)} MB (first half ${peakRssMb(run, 0, BACKLOG / 2).toFixed(0)}, ` +
		`second half ${peakRssMb(run, BACKLOG / 2).toFixed(0)})`
	);
}

describe(`Email Intel IMAP Trigger v2 with default options: a ${BACKLOG}-message backlog in a real n8n`, () => {
	let dovecot: DovecotServer;
	let n8n: N8nInstance | undefined;

	beforeAll(async () => {
		dovecot = await startDovecot({ users: { alice: 'alicepass', bob: 'bobpass' } });
		const seeding = Date.now();
		await seedBacklog(dovecot, ['alice', 'bob'], BACKLOG);
		log(`seeded 2 × ${BACKLOG} messages in ${((Date.now() - seeding) / 1000).toFixed(0)} s`);
	}, 600_000);

	afterEach(async () => {
		await n8n?.stop();
		n8n = undefined;
	});

	afterAll(async () => {
		await dovecot?.stop();
	});

	async function startWith(user: string) {
		const workflowId = newWorkflowId();
		const credential = ourCredential(dovecot, user, `backlog${user.padEnd(9, '0')}`);
		const started = Date.now();
		n8n = await startN8n({
			credentials: [credential],
			workflows: [ourWorkflow(workflowId, credential)],
			publish: [workflowId],
		});
		return { instance: n8n, workflowId, started };
	}

	it(
		`every message in exactly one finished execution of at most ${DEFAULT_BATCH}; n8n's RSS flat (second half's peak ≤ first half's + ${RSS_GROWTH_MB} MB)`,
		async () => {
			const { instance, workflowId, started } = await startWith('alice');
			const run = await followBacklog(instance, workflowId, OUR_TRIGGER, {
				total: BACKLOG,
				timeoutMs: RUN_TIMEOUT_MS,
				idleMs: IDLE_MS,
			});
			log(`straight run: ${describeRun(run, started)}`);
			expectExactlyOnce(run);
			expect(run.samples.filter((s) => s.messages >= BACKLOG / 2).length).toBeGreaterThan(0);
			expect(peakRssMb(run, BACKLOG / 2)).toBeLessThanOrEqual(
				peakRssMb(run, 0, BACKLOG / 2) + RSS_GROWTH_MB,
			);
		},
		RUN_TIMEOUT_MS + 120_000,
	);

	// n8n's __emit saves the static data (our cursor) first and creates the execution a few
	// database round trips later; a stopping n8n creates none. Measured 2026-12-01 with 10,000
	// messages before the fix: the batch handed on during the stop (UIDs 4301-4400) was lost.
	// The trigger now hands nothing on after SIGTERM (nodes/shared/ingest-poll.ts); a signal that
	// lands in the milliseconds between an __emit and its execution can still cost that one
	// batch (README "Exactly once"), so this holds: nothing twice, at most one batch lost.
	it(
		`n8n restarted in the middle of the backlog: no message twice, at most the batch handed on during the stop lost (${DEFAULT_BATCH})`,
		async () => {
			const { instance, workflowId, started } = await startWith('bob');
			// After 300 messages, while the activation poll drains the backlog in the background:
			// the stop then lands while batches are being handed on.
			const { run, interruptedAt: restartedAt } = await followInterrupted(
				instance,
				workflowId,
				OUR_TRIGGER,
				{ total: BACKLOG, timeoutMs: RUN_TIMEOUT_MS, idleMs: IDLE_MS },
				{
					after: 3 * DEFAULT_BATCH,
					async run(distinct) {
						const at = Date.now();
						log(`restarting n8n at ${distinct} of ${BACKLOG} messages`);
						await instance.restart();
						log(`restarted in ${((Date.now() - at) / 1000).toFixed(1)} s`);
					},
				},
			);
			log(`restart run: ${describeRun(run, started)}`);
			// The restart happened while the backlog was being handed on, not after it.
			expect(restartedAt).toBeDefined();
			const before = run.executions.filter((e) => e.stoppedAt < (restartedAt as number));
			const afterRestart = run.executions.filter((e) => e.startedAt > (restartedAt as number));
			expect(before.length).toBeGreaterThan(0);
			expect(afterRestart.length).toBeGreaterThan(0);
			expectExactlyOnce(run, DEFAULT_BATCH);
		},
		RUN_TIMEOUT_MS + 120_000,
	);
});
