import {
	type IDataObject,
	type IDeferredPromise,
	type INodeExecutionData,
	type IPollFunctions,
	type IRun,
} from 'n8n-workflow';

import { ingest, type IngestResult } from '../../lib/ingest/core';
import { tryPollLock } from '../../lib/ingest/memory';
import { processStopping, watchProcessStop } from '../../lib/ingest/process-stop';
import type { IngestSource } from '../../lib/ingest/source';
import { currentState, type IngestState } from '../../lib/ingest/state';
import { ownerKey, region } from '../../lib/state/registry';
import { sleep } from '../../lib/util/sleep';
import { failureToReport } from './trigger-errors';

/** What one poll of a trigger node gives the shared runner. */
export interface IngestPoll<Cursor, Item> {
	/** In logs and errors: the node's display name. */
	label: string;
	/** Fingerprint of the account (lib/ingest/state.ts identityOf). */
	identity: string;
	/** Configured scopes, in order. */
	scopes: string[];
	/** Static data as stored → the core's state shape (migrating older versions), or undefined. */
	readState(staticData: IDataObject): IngestState<Cursor> | undefined;
	sources(state: IngestState<Cursor>): Array<IngestSource<Cursor, Item>>;
	toItem(item: Item): Promise<INodeExecutionData>;
	/** Items per poll at most. */
	limit: number;
	/** Items per execution at most; undefined: one execution per poll (node version 1). */
	batchSize?: number;
	retryBudget: number;
	/**
	 * Closes what the poll uses (a provider, its connections) once the poll has ended, its
	 * background drain included: the node hands its provider over and does not close it itself.
	 */
	close?: () => Promise<void> | void;
}

/** The trigger node's key in process memory (lib/state/registry.ts). */
export function pollOwner(context: IPollFunctions): string {
	const node = context.getNode();
	return ownerKey(context.getWorkflow().id, node.id ?? node.name, context.getMode() === 'manual');
}

/**
 * One poll of a trigger, through the ingest core, the n8n way:
 * - one poll per node at a time (n8n's cron fires whether or not the last poll ended);
 * - each batch: the state that covers it is written to static data, then the batch goes to n8n
 *   as its own execution (`__emit`, which saves static data and starts the run). The next batch
 *   is built meanwhile and handed over once the previous execution has finished, so a backlog
 *   drains at full speed in executions of bounded size, with one execution in flight;
 * - n8n saves the cursor before it creates the execution and creates none once it is stopping,
 *   so nothing is handed on after SIGTERM/SIGINT (lib/ingest/process-stop.ts), and a batch n8n
 *   did not run (its done promise rejected) ends the poll with the cursor put back in memory to
 *   before that batch: the next poll waits for n8n's answer on the previous poll's last batch,
 *   then reads the cursor, so it reads that batch again (README "Exactly once");
 * - failures: see failureToReport (thrown after the batches that did get built went out).
 * Without batches (node version 1) everything of the poll is returned as one execution.
 */
export async function runIngestPoll<Cursor, Item>(
	context: IPollFunctions,
	poll: IngestPoll<Cursor, Item>,
): Promise<INodeExecutionData[][] | null> {
	const owner = pollOwner(context);
	const lock = tryPollLock(owner);
	if (!lock) {
		await poll.close?.();
		context.logger.info(`${poll.label}: the previous poll is still running; this one is skipped`);
		return null;
	}
	const release = async () => {
		try {
			await poll.close?.();
		} finally {
			lock();
		}
	};
	let releaseWhenDrained = false;
	try {
		const started = Date.now();
		const budget = pollBudgetMs(context);
		await lastBatchSettled(owner, Math.min(LAST_BATCH_WAIT_MS, budget / 4));
		const staticData = context.getWorkflowStaticData('node');
		const stored = poll.readState(staticData);
		const state = currentState(stored, poll.identity, poll.scopes);
		const batched = poll.batchSize !== undefined && typeof context.__emit === 'function';
		// n8n awaits the first poll of an activation (and of every start) before the workflow counts
		// as active, and its next poll comes a schedule interval later: the first poll hands on one
		// batch, returns, and drains the rest in the background (this poll's lock held until the
		// drain ends, so scheduled polls meanwhile return nothing). Not where n8n runs the poll
		// under a lease (durable poll cursors: a budget below its default), whose cursor commits
		// end with the poll: there the first poll hands on one batch and the next the rest.
		const first = batched && context.getMode() === 'trigger' && firstPollHere(owner);
		const drainInBackground = first && budget >= POLL_BUDGET_MS;
		const deadline = started + budget;
		const run = ingest(state, poll.sources(state), {
			memoryKey: `${owner}:${state.epoch}`,
			limit: first && !drainInBackground ? (poll.batchSize as number) : poll.limit,
			batchSize: poll.batchSize ?? poll.limit,
			retryBudget: poll.retryBudget,
		});
		if (batched) watchProcessStop();
		let firstHandedOn!: () => void;
		const handedOnFirst = new Promise<true>((resolve) => (firstHandedOn = () => resolve(true)));
		const finishing = finishPoll({
			context,
			poll,
			owner,
			staticData,
			state,
			firstPollEver: stored === undefined,
			run,
			batched,
			deadline,
			onHandedOn: firstHandedOn,
		});
		if (drainInBackground) {
			// Until the first batch is handed on, this is an ordinary poll (an error before it fails
			// the activation, as n8n expects); after it, the poll returns and the drain goes on.
			const handedOn = await Promise.race([handedOnFirst, finishing.then(() => false)]);
			if (handedOn) {
				releaseWhenDrained = true;
				drainInBackgroundOf(context, poll.label, owner, finishing, release);
				return null;
			}
		}
		return await finishing;
	} finally {
		if (!releaseWhenDrained) await release();
	}
}

/** One poll's work once its state is read: the core's run and where its batches go. */
interface PollWork<Cursor, Item> {
	context: IPollFunctions;
	poll: IngestPoll<Cursor, Item>;
	owner: string;
	staticData: IDataObject;
	state: IngestState<Cursor>;
	/** No state was stored before this poll: every failure is reported (failureToReport). */
	firstPollEver: boolean;
	run: AsyncGenerator<Item[], IngestResult, void>;
	/** Each batch is its own execution (`__emit`); else the poll returns everything. */
	batched: boolean;
	/** n8n's poll budget ends here (epoch ms). */
	deadline: number;
	/** Called each time a batch has been handed to n8n. */
	onHandedOn(): void;
}

/**
 * Takes the core's batches to the end: hands each on (batched) or collects them, then stores
 * the state of what was collected and reports the run's failures. Returns what the poll returns.
 */
async function finishPoll<Cursor, Item>(
	work: PollWork<Cursor, Item>,
): Promise<INodeExecutionData[][] | null> {
	const { context, poll, owner, staticData, state } = work;
	const collected: INodeExecutionData[] = [];
	const handed: { last?: HandedOn } = {};
	let result: IngestResult;
	try {
		result = await handOnBatches(work, collected, handed);
	} finally {
		// Whatever happened, end the core's run: its finally blocks release the mailbox lock of a
		// fetch it was suspended in. A lock left held would stall the pooled connection's next
		// poll for good.
		await work.run.return({ failures: [], more: true }).catch(() => undefined);
		if (handed.last) lastBatch.set(owner, handed.last.ran);
	}
	if (collected.length > 0) writeState(staticData, state);
	const failure = failureToReport(context.getNode(), context.logger, owner, result.failures, {
		label: poll.label,
		alwaysReport: work.firstPollEver,
	});
	if (failure) {
		// What the other scopes built still goes out (with its state) before the error does.
		if (collected.length > 0 && typeof context.__emit === 'function') context.__emit([collected]);
		throw failure;
	}
	return collected.length > 0 ? [collected] : null;
}

/**
 * Each batch of the core's run: as its own execution, one in flight at a time (batched), or
 * into `collected`. `handed.last` is the last batch handed on (for the next poll to wait on).
 */
async function handOnBatches<Cursor, Item>(
	work: PollWork<Cursor, Item>,
	collected: INodeExecutionData[],
	handed: { last?: HandedOn },
): Promise<IngestResult> {
	const { context, poll } = work;
	for (;;) {
		const step = await work.run.next();
		if (step.done) return step.value;
		const items = await Promise.all(step.value.map((item) => poll.toItem(item)));
		if (!work.batched) {
			collected.push(...items);
			continue;
		}
		// A failed execution is n8n's to report and does not stop the next batch; an execution n8n
		// did not create does (see handOnBatch).
		if (handed.last && !(await handed.last.ran)) return { failures: [], more: true };
		if (processStopping()) {
			context.logger.info(`${poll.label}: n8n is stopping; the rest is handed on after it starts`);
			return { failures: [], more: true };
		}
		handed.last = handOnBatch(context, work.staticData, work.state, items);
		work.onHandedOn();
		// Past n8n's poll budget: stop here (the state of every batch handed on is stored); the
		// next poll goes on from this point.
		if (Date.now() > work.deadline) return { failures: [], more: true };
	}
}

/**
 * The rest of a first poll's run goes on after the poll has returned; `release` (the poll lock,
 * the provider) runs when it ends, and its failure is reported as the trigger's error.
 */
function drainInBackgroundOf(
	context: IPollFunctions,
	label: string,
	owner: string,
	finishing: Promise<unknown>,
	release: () => Promise<void>,
): void {
	const drained = finishing
		.then(
			() => undefined,
			(error: unknown) => reportFromBackground(context, label, error),
		)
		.finally(release);
	backgroundDrains.set(owner, drained);
}

/**
 * A failure of a background drain (after the first poll returned) reaches n8n as the trigger's
 * error (an error execution, the Error Workflow), as a thrown poll error would.
 */
function reportFromBackground(context: IPollFunctions, label: string, error: unknown): void {
	if (typeof context.__emitError === 'function') context.__emitError(error as Error);
	else context.logger.error(`${label}: ${String((error as Error)?.message ?? error)}`);
}

const backgroundDrains = region<Promise<void>>({
	name: 'ingest.backgroundDrains',
	holds: "the background drain a trigger node's first poll started (settles when it has ended)",
	key: 'owner',
	maxEntries: 10_000,
	ttlMs: 6 * 3600_000,
	clearedWhen: 'the workflow is deactivated; replaced by the next drain; after 6 h',
});

/** The background drain of this trigger node, if its first poll started one (tests await it). */
export function backgroundDrain(owner: string): Promise<void> | undefined {
	return backgroundDrains.get(owner);
}

const POLL_BUDGET_MS = 5 * 60_000;

/**
 * How long a poll waits for n8n's answer on the previous poll's last batch. n8n refuses a batch
 * (its done promise rejects) while creating the execution, a few database round trips after
 * `__emit`; an execution still unsettled after this is running, and a running one is no longer
 * refused. Waiting for the answer is what makes a refusal put the batch back before the next
 * poll reads the cursor (handOnBatch).
 */
const LAST_BATCH_WAIT_MS = 30_000;

const lastBatch = region<Promise<boolean>>({
	name: 'ingest.lastBatch',
	holds: "n8n's answer on the last batch a poll of this node handed on (true: run, false: refused)",
	key: 'owner',
	maxEntries: 10_000,
	ttlMs: 3600_000,
	clearedWhen: 'the next poll has waited for it; the workflow is deactivated; after an hour',
});

/** Waits (at most `maxMs`) until n8n has answered on the previous poll's last batch. */
async function lastBatchSettled(owner: string, maxMs: number): Promise<void> {
	const previous = lastBatch.get(owner);
	if (!previous) return;
	const waited = new AbortController();
	await Promise.race([previous, sleep(maxMs, waited.signal).catch(() => undefined)]);
	waited.abort();
	lastBatch.delete(owner);
}

/** One batch handed to n8n; `ran` settles when n8n has run it (true) or refused to (false). */
interface HandedOn {
	ran: Promise<boolean>;
}

/**
 * Writes the state that covers `items` to static data and hands them to n8n as one execution.
 * If n8n then creates no execution (it is stopping, or its database refused the insert), the
 * done promise rejects: static data in memory goes back to what it held before, unless a later
 * poll has written it since, so this process reads the batch again on its next poll. What n8n
 * already saved cannot be taken back from a node; that is why nothing is handed on once the
 * process is stopping.
 */
function handOnBatch<Cursor>(
	context: IPollFunctions,
	staticData: IDataObject,
	state: IngestState<Cursor>,
	items: INodeExecutionData[],
): HandedOn {
	const before = JSON.parse(JSON.stringify(staticData)) as IDataObject;
	const written = writeState(staticData, state);
	const done = deferred<IRun>();
	context.__emit([items], undefined, done);
	const ran = done.promise.then(
		() => true,
		(error: unknown) => {
			context.logger.warn(
				`n8n did not run a batch of ${items.length} item(s) (${String((error as Error)?.message ?? error)}); it is read again next poll`,
			);
			if (JSON.stringify(staticData) === written) replaceContents(staticData, before);
			return false;
		},
	);
	return { ran };
}

/**
 * A deferred promise for `__emit`'s done callback. Written here: n8n-workflow's
 * createDeferredPromise is gone from the n8n-workflow that n8n 2.41 ships, and a node must run
 * against whichever n8n-workflow the n8n it is installed in has.
 */
function deferred<T>(): IDeferredPromise<T> {
	let resolve!: IDeferredPromise<T>['resolve'];
	let reject!: IDeferredPromise<T>['reject'];
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

/** How long one poll may run: n8n's own budget where it has one (2.41+), else five minutes. */
function pollBudgetMs(context: IPollFunctions): number {
	const budget = (context as { getPollBudgetMs?: () => number }).getPollBudgetMs?.();
	return typeof budget === 'number' && budget > 0 ? budget : POLL_BUDGET_MS;
}

const polledHere = region<true>({
	name: 'ingest.polledHere',
	holds: 'this trigger node has polled in this process (its activation poll is done)',
	key: 'owner',
	maxEntries: 10_000,
	clearedWhen: 'never while the process runs (bounded by maxEntries)',
});

function firstPollHere(owner: string): boolean {
	if (polledHere.get(owner)) return false;
	polledHere.set(owner, true);
	return true;
}

/**
 * The core's state into static data, as a copy: later batches must not change what n8n saves.
 * Returns what static data now holds, as JSON.
 */
function writeState<Cursor>(staticData: IDataObject, state: IngestState<Cursor>): string {
	const json = JSON.stringify(state);
	// Static data now holds exactly the parse of `json` (its change flag is not enumerable).
	replaceContents(staticData, JSON.parse(json) as IDataObject);
	return json;
}

/** In place: n8n keeps (and observes) the static data object itself. */
function replaceContents(target: IDataObject, contents: IDataObject): void {
	for (const key of Object.keys(target)) delete target[key];
	Object.assign(target, contents);
}
