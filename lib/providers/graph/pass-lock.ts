import { region } from '../../state/registry';

/**
 * Graph's part of the webhook pass lock. The lock itself (one delta pass at a time per folder,
 * a notification riding on a queued pass, the newest cursor per folder, what an activation
 * wrote) is the ingest core's, shared with the Gmail push trigger: lib/ingest/pass-lock.ts.
 * Graph adds subscription records: concurrent webhook calls recreate and renew them, and each
 * call must save the newest one. Keys are the same `owner:epoch:upn/folder`.
 */
export {
	exclusivePass,
	newestCursor,
	passQueued,
	recentActivation,
	rememberActivation,
	rememberCursor,
	runExclusive,
	type PassOutcome,
} from '../../ingest/pass-lock';

/** What a Graph activation lends webhook calls until n8n saved it: the epoch and the clientState. */
export interface GraphActivation {
	epoch: string;
	identity: string;
	clientState: string;
}

const subscriptions = region<{ setAt: number; value: unknown }>({
	name: 'graph.newestSubscriptions',
	holds: 'the newest subscription record this process set for a folder (by setAt; null = deleted)',
	key: 'owner:epoch:upn/folder',
	maxEntries: 10_000,
	ttlMs: 30 * 24 * 3600_000,
	clearedWhen: 'the workflow is deactivated',
});
let lastSetAt = 0;

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
