import { region } from '../state/registry';
import type { SharedPasses } from './shared-passes';

/**
 * One ingest pass at a time per scope of one webhook trigger node, process-wide, and what
 * concurrent webhook calls must agree on. Providers push (Graph notifications, Gmail Pub/Sub
 * pushes) concurrently; each webhook call reads static data that n8n loaded before the previous
 * call saved its own, so two overlapping passes would start from the same cursor and emit the
 * same messages, and the last call to finish would save its whole (possibly stale) copy. This
 * module serializes passes, lets a push that arrives while a pass is queued ride on that pass,
 * and remembers the newest cursor per scope so every call can reconcile its copy.
 *
 * Keys start with the pass prefix `${owner}:${epoch}` (lib/state/registry.ts ownerKey, the
 * state's epoch): manual runs are another owner, and static data that was reset has another
 * epoch, so neither can meet what the active trigger remembers. Deactivation clears the owner.
 */
/** How long after an activation a webhook call may still find its static data unsaved. */
const ACTIVATION_WINDOW_MS = 60_000;

interface Slot {
	running?: Promise<unknown>;
	queued?: Promise<unknown>;
}

const slots = region<Slot>({
	name: 'ingest.passSlots',
	holds: 'the ingest pass running and the one queued behind it, for one scope of a webhook trigger',
	key: 'owner:epoch:scope',
	maxEntries: 10_000,
	clearedWhen: 'no pass runs or waits for the scope any more',
});
const cursors = region<{ seq: number; value: unknown }>({
	name: 'ingest.newestCursors',
	holds: 'the newest cursor this process stored for a scope of a webhook trigger (by seq)',
	key: 'owner:epoch:scope',
	maxEntries: 10_000,
	ttlMs: 30 * 24 * 3600_000,
	clearedWhen: 'the workflow is deactivated',
});
const activations = region<{ epoch: string; identity: string }>({
	name: 'ingest.activations',
	holds:
		'what an activation put in static data (epoch, identity, provider extras) until n8n has saved it',
	key: 'owner',
	maxEntries: 10_000,
	ttlMs: ACTIVATION_WINDOW_MS,
	clearedWhen: 'a minute after the activation; the workflow is deactivated',
});

export type PassOutcome<T> = { ran: true; value: T } | { ran: false };

/**
 * Runs `task` after the pass in progress for `key`. If a pass is already waiting, that one
 * will start after this call and sees everything this push announced: no new pass.
 */
export function runExclusive<T>(key: string, task: () => Promise<T>): Promise<PassOutcome<T>> {
	let slot = slots.get(key);
	if (!slot) slots.set(key, (slot = {}));
	const current = slot;
	if (current.queued) return Promise.resolve({ ran: false });
	const start = (): Promise<PassOutcome<T>> => {
		const run = task().then((value) => ({ ran: true as const, value }));
		current.running = run;
		return run.finally(() => {
			if (current.running === run) current.running = undefined;
			if (!current.running && !current.queued) slots.delete(key);
		});
	};
	if (!current.running) return start();
	const queued = current.running
		.catch(() => undefined)
		.then(() => {
			current.queued = undefined;
			return start();
		});
	current.queued = queued;
	return queued;
}

/** A pass for `key` is waiting to start (it will see everything that arrived until then). */
export function passQueued(key: string): boolean {
	return slots.get(key)?.queued !== undefined;
}

/**
 * One pass of a scope, exclusive in this process (runExclusive) and, with `shared`, across
 * processes (its lease): starts from the newest cursor known (static data, this process, the
 * other processes), runs `body`, and stores the cursor `scope` then holds as the newest.
 */
export function exclusivePass<C extends { seq?: number }, T>(
	key: string,
	scope: () => { cursor?: C },
	body: (start: C | undefined) => Promise<T>,
	shared?: SharedPasses,
): Promise<PassOutcome<T>> {
	const pass = async () => {
		const folder = scope();
		let start = newestCursor(key, folder.cursor);
		const elsewhere = await shared?.cursor(key);
		if (elsewhere && elsewhere.seq > (start?.seq ?? 0)) start = elsewhere.value as C;
		if (start) folder.cursor = start;
		const value = await body(start);
		if (folder.cursor) {
			rememberCursor(key, folder.cursor);
			await shared?.storeCursor(key, { seq: folder.cursor.seq ?? 0, value: folder.cursor });
		}
		return value;
	};
	return runExclusive(key, shared ? () => shared.withLease(key, pass) : pass);
}

/** The newer of what static data holds and what this process stored last (by `seq`). */
export function newestCursor<C extends { seq?: number }>(
	key: string,
	stored: C | undefined,
): C | undefined {
	const remembered = cursors.get(key);
	if (remembered && (!stored || remembered.seq > (stored.seq ?? 0))) return remembered.value as C;
	return stored;
}

export function rememberCursor<C extends { seq?: number }>(key: string, cursor: C): void {
	cursors.set(key, { seq: cursor.seq ?? 0, value: cursor });
}

/**
 * n8n saves the static data of an activation only after its webhook methods return, and loads
 * it again for each webhook call: a push arriving in between finds none of it. The activation
 * leaves what it wrote here for a minute.
 */
export function rememberActivation<A extends { epoch: string; identity: string }>(
	owner: string,
	activation: A,
): void {
	activations.set(owner, { ...activation });
}

export function recentActivation<A extends { epoch: string; identity: string }>(
	owner: string,
): A | undefined {
	return activations.get(owner) as A | undefined;
}
