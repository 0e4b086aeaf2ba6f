/**
 * One delta pass at a time per (workflow, node, mailbox, folder), process-wide.
 * Graph delivers notifications concurrently; each webhook call reads the cursor from static
 * data that n8n loaded before the previous call saved its own, so two overlapping passes
 * would start from the same delta link and emit the same messages; and the last call to
 * finish saves its whole (possibly stale) copy, which could undo a newer subscription. This
 * module is the one deliberate piece of shared state: it serializes passes, lets a
 * notification that arrives while a pass is queued ride on that pass, and remembers the
 * newest cursor and subscription record per folder so every call can reconcile its copy.
 */
interface Slot {
	running?: Promise<unknown>;
	queued?: Promise<unknown>;
}

const slots = new Map<string, Slot>();
const newest = new Map<string, { seq: number; value: unknown }>();
const newestSubscriptions = new Map<string, { setAt: number; value: unknown }>();
/** The clientState this process gave Graph, per trigger node (its lock prefix). */
const clientStates = new Map<string, string>();
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
	const remembered = newest.get(key);
	if (remembered && (!stored || remembered.seq > stored.seq)) return remembered.value as C;
	return stored;
}

export function rememberCursor<C extends { seq: number }>(key: string, cursor: C): void {
	newest.set(key, { seq: cursor.seq, value: cursor });
}

export function forgetCursor(key: string): void {
	newest.delete(key);
	newestSubscriptions.delete(key);
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
	const remembered = newestSubscriptions.get(key);
	if (remembered && remembered.setAt > (stored?.setAt ?? 0))
		return (remembered.value ?? undefined) as S | undefined;
	return stored;
}

export function rememberSubscription<S extends { setAt?: number }>(
	key: string,
	subscription: S | undefined,
	setAt = subscription?.setAt ?? nextSetAt(),
): void {
	newestSubscriptions.set(key, { setAt, value: subscription ?? null });
}

/**
 * Keeps the clientState a node's subscriptions were created with. n8n saves the static data of
 * an activation only after its webhook methods return, and loads it again for each webhook
 * call: a notification arriving in between would find no clientState to check against.
 */
export function rememberClientState(lockPrefix: string, clientState: string): void {
	clientStates.set(lockPrefix, clientState);
}

export function rememberedClientState(lockPrefix: string): string | undefined {
	return clientStates.get(lockPrefix);
}
