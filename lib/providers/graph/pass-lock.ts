import { region } from '../../state/registry';

/**
 * One delta pass at a time per folder of one trigger node, process-wide, and what concurrent
 * webhook calls must agree on. Graph delivers notifications concurrently; each webhook call
 * reads static data that n8n loaded before the previous call saved its own, so two overlapping
 * passes would start from the same delta link and emit the same messages, and the last call to
 * finish would save its whole (possibly stale) copy. This module serializes passes, lets a
 * notification that arrives while a pass is queued ride on that pass, and remembers the newest
 * cursor and subscription record per folder so every call can reconcile its copy.
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
	name: 'graph.passSlots',
	holds: 'the delta pass running and the one queued behind it, for one folder',
	key: 'owner:epoch:upn/folder',
	maxEntries: 10_000,
	clearedWhen: 'no pass runs or waits for the folder any more',
});
const cursors = region<{ seq: number; value: unknown }>({
	name: 'graph.newestCursors',
	holds: 'the newest delta cursor this process stored for a folder (by seq)',
	key: 'owner:epoch:upn/folder',
	maxEntries: 10_000,
	ttlMs: 30 * 24 * 3600_000,
	clearedWhen: 'the workflow is deactivated',
});
const subscriptions = region<{ setAt: number; value: unknown }>({
	name: 'graph.newestSubscriptions',
	holds: 'the newest subscription record this process set for a folder (by setAt; null = deleted)',
	key: 'owner:epoch:upn/folder',
	maxEntries: 10_000,
	ttlMs: 30 * 24 * 3600_000,
	clearedWhen: 'the workflow is deactivated',
});
const activations = region<{ epoch: string; clientState: string; identity: string; at: number }>({
	name: 'graph.activations',
	holds: 'the state epoch and clientState an activation created, until n8n has saved them',
	key: 'owner',
	maxEntries: 10_000,
	ttlMs: ACTIVATION_WINDOW_MS,
	clearedWhen: 'a minute after the activation; the workflow is deactivated',
});
let lastSetAt = 0;

export type PassOutcome<T> = { ran: true; value: T } | { ran: false };

/**
 * Runs `task` after the pass in progress for `key`. If a pass is already waiting, that one
 * will start after this call and sees everything this notification announced: no new pass.
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

/** The newer of what static data holds and what this process stored last (by `seq`). */
export function newestCursor<C extends { seq: number }>(
	key: string,
	stored: C | undefined,
): C | undefined {
	const remembered = cursors.get(key);
	if (remembered && (!stored || remembered.seq > stored.seq)) return remembered.value as C;
	return stored;
}

export function rememberCursor<C extends { seq: number }>(key: string, cursor: C): void {
	cursors.set(key, { seq: cursor.seq, value: cursor });
}

/** A strictly increasing stamp for subscription records (wall clock, never repeating). */
export function nextSetAt(): number {
	lastSetAt = Math.max(Date.now(), lastSetAt + 1);
	return lastSetAt;
}

/**
 * The newer subscription record for `key`: what static data holds or what this process set
 * last (`setAt`). `null` stands for "deleted here"; undefined for "nothing known".
 */
export function newestSubscription<S extends { setAt?: number }>(
	key: string,
	stored: S | undefined,
): S | undefined {
	const remembered = subscriptions.get(key);
	if (remembered && remembered.setAt > (stored?.setAt ?? 0))
		return (remembered.value ?? undefined) as S | undefined;
	return stored;
}

export function rememberSubscription<S extends { setAt?: number }>(
	key: string,
	subscription: S | undefined,
	setAt = subscription?.setAt ?? nextSetAt(),
): void {
	subscriptions.set(key, { setAt, value: subscription ?? null });
}

/**
 * n8n saves the static data of an activation only after its webhook methods return, and loads
 * it again for each webhook call: a notification arriving in between finds neither the
 * clientState nor the epoch. The activation leaves both here for a minute.
 */
export function rememberActivation(
	owner: string,
	activation: { epoch: string; clientState: string; identity: string },
): void {
	activations.set(owner, { ...activation, at: Date.now() });
}

export function recentActivation(
	owner: string,
): { epoch: string; clientState: string; identity: string } | undefined {
	return activations.get(owner);
}
