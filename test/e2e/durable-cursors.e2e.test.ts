// The Email Intel IMAP Trigger v2 under n8n 2.41's durable poll cursors (opt-in:
// N8N_SCHEDULER_ENABLED, N8N_SCHEDULER_POLL_TRIGGERS_ENABLED, N8N_POLLER_DURABLE_CURSORS_ENABLED).
// There n8n takes the node's static data at each `__emit` and commits it in the same database
// transaction that creates the execution, so a batch is either in an execution with its cursor
// or in neither. Without that mode, n8n saves static data before the execution exists, and a
// process killed in those milliseconds loses the batch (README "Exactly once"; imap-10k.e2e
// allows that one batch). Here n8n is killed with SIGKILL in the middle of a backlog, with no
// chance to stop cleanly, and every message must still be in exactly one execution.
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import {
	backlogSubjects,
	DEFAULT_BATCH,
	followInterrupted,
	listExecutions,
	OUR_TRIGGER,
	ourCredential,
	ourWorkflow,
	seedBacklog,
} from './backlog';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { ensureN8n, newWorkflowId, startN8n, type Json, type N8nInstance } from './harness';

/**
 * Big enough that the drain lasts many of the follower's progress checks (one a second, each
 * listing the executions): 1,500 drained in ~5 s, and one CI run never saw an execution in flight.
 */
const BACKLOG = 4000;
const RUN_TIMEOUT_MS = 12 * 60_000;
/** No execution finished for this long (restart not counted): stop waiting, let the assertions speak. */
const IDLE_MS = 150_000;
/** n8n 2.41's durable poll cursors (the three switches it needs; the publication service is on by default). */
const DURABLE_CURSORS = {
	N8N_SCHEDULER_ENABLED: 'true',
	N8N_SCHEDULER_POLL_TRIGGERS_ENABLED: 'true',
	N8N_POLLER_DURABLE_CURSORS_ENABLED: 'true',
};

/**
 * The cursors n8n committed for a workflow's poll nodes (its `poller_state` table), read with
 * the n8n install's own Node (24, which has node:sqlite) while n8n runs.
 */
async function committedCursors(instance: N8nInstance, workflowId: string): Promise<Json[]> {
	const install = await ensureN8n();
	const script = [
		"const { DatabaseSync } = require('node:sqlite');",
		'const db = new DatabaseSync(process.argv[1], { readOnly: true });',
		"const rows = db.prepare('SELECT cursor FROM poller_state WHERE workflowId = ?').all(process.argv[2]);",
		'process.stdout.write(JSON.stringify(rows.map((row) => JSON.parse(row.cursor))));',
	].join('\n');
	const database = path.join(instance.userFolder, '.n8n', 'database.sqlite');
	const out = execFileSync(
		path.join(install.nodeBinDir, 'node'),
		['-e', script, database, workflowId],
		{
			encoding: 'utf8',
		},
	);
	return JSON.parse(out) as Json[];
}

/**
 * Starts n8n again after the kill, as a process supervisor (systemd, Docker's restart policy)
 * would: up to 3 tries. n8n 2.41.1 fails its first start after a SIGKILL that caught an
 * execution still `new` (its crash recovery reads the missing start time: "Cannot read
 * properties of null (reading 'getTime')" in InsightsCollectionService), and marks the
 * execution crashed on the next start ("Skipped recovery process since it previously failed").
 */
async function startAgain(instance: N8nInstance): Promise<void> {
	for (let attempt = 1; ; attempt++) {
		try {
			await instance.restart();
			return;
		} catch (error) {
			if (attempt >= 3) throw error;
			log(`n8n's start ${attempt} after the kill failed: ${String(error).split('\n')[0]}`);
		}
	}
}

/** True as soon as the workflow's newest execution is created or running; false after `withinMs`. */
async function executionInFlight(
	instance: N8nInstance,
	workflowId: string,
	withinMs: number,
): Promise<boolean> {
	const until = Date.now() + withinMs;
	while (Date.now() < until) {
		const newest = (await listExecutions(instance, workflowId)).at(-1);
		if (['new', 'running'].includes(newest?.status)) return true;
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	return false;
}

const log = (text: string) => process.stderr.write(`[durable-cursors] ${text}\n`);

describe("Email Intel IMAP Trigger v2 under n8n's durable poll cursors", () => {
	let dovecot: DovecotServer;
	let n8n: N8nInstance | undefined;

	beforeAll(async () => {
		dovecot = await startDovecot({ users: { alice: 'alicepass' } });
	}, 120_000);

	afterAll(async () => {
		await n8n?.stop();
		await dovecot?.stop();
	});

	it(
		`n8n killed (SIGKILL) in the middle of a ${BACKLOG}-message backlog: every message in exactly one execution`,
		async () => {
			await seedBacklog(dovecot, ['alice'], BACKLOG);
			const workflowId = newWorkflowId();
			const credential = ourCredential(dovecot, 'alice', 'durablealice0000');
			n8n = await startN8n({
				env: DURABLE_CURSORS,
				credentials: [credential],
				workflows: [ourWorkflow(workflowId, credential)],
				publish: [workflowId],
			});
			const instance = n8n;
			// Killed while an execution is in flight (created or running): the moment a cursor saved
			// apart from its execution would lose a batch.
			const { run, interruptedAt: killedAt } = await followInterrupted(
				instance,
				workflowId,
				OUR_TRIGGER,
				{ total: BACKLOG, timeoutMs: RUN_TIMEOUT_MS, idleMs: IDLE_MS },
				{
					after: 3 * DEFAULT_BATCH,
					// An execution is in flight for a few tens of ms of each ~200 ms handover, and the
					// follower looks once a second: it could look past every window of the drain (CI
					// saw that once). So look closely until one is seen, for as long as the drain runs.
					when: () => executionInFlight(instance, workflowId, 20_000),
					async run(distinct) {
						const at = Date.now();
						log(`SIGKILL to n8n at ${distinct} of ${BACKLOG} messages`);
						process.kill(-(instance.pid() as number), 'SIGKILL');
						await instance.exited();
						await startAgain(instance);
						log(`started again in ${((Date.now() - at) / 1000).toFixed(1)} s`);
					},
				},
			);
			const statuses = run.executions.map((e) => `${e.status}:${e.subjects.length}`);
			log(`${run.messages} messages in ${run.executions.length} executions: ${statuses.join(' ')}`);
			expect(killedAt).toBeDefined();
			expect(
				run.executions.filter((e) => e.startedAt > (killedAt as number)).length,
			).toBeGreaterThan(0);
			// At most the one execution in flight was cut by the kill: n8n marks it crashed, with the
			// trigger's items kept in it; every other one succeeded.
			const failed = run.executions.filter((e) => e.status !== 'success');
			expect(failed.map((e) => e.status)).toEqual(failed.length > 0 ? ['crashed'] : []);
			expect(run.executions.filter((e) => e.subjects.length > DEFAULT_BATCH)).toEqual([]);
			const subjects = run.executions.flatMap((e) => e.subjects);
			const got = new Set(subjects);
			expect({
				missing: backlogSubjects(BACKLOG)
					.filter((s) => !got.has(s))
					.slice(0, 3),
				duplicates: subjects.length - got.size,
			}).toEqual({ missing: [], duplicates: 0 });
			// The mode was on: n8n says nothing about it staying off, and its cursor table holds the
			// trigger's state (the ingest core's shape) at the last message of the mailbox.
			expect(instance.logs()).not.toContain('durable poll cursors stay disabled');
			const cursors = await committedCursors(instance, workflowId);
			expect(cursors.map((c) => c?.scopes?.INBOX?.cursor?.lastUid)).toEqual([BACKLOG]);
		},
		RUN_TIMEOUT_MS + 120_000,
	);
});
