import { region } from '../state/registry';

/**
 * What the ingest core remembers between polls of one trigger node, in process memory (the
 * registry), because n8n saves a poll's static data only when the poll emits: a poll that fails
 * cannot store anything there.
 */

/** The first message of a scope that failed, and on how many polls in a row. */
export interface FailureRecord {
	id: string;
	attempts: number;
}

const failures = region<FailureRecord>({
	name: 'ingest.failures',
	holds: 'the message a scope last failed on, with the number of polls in a row that failed on it',
	key: 'owner:epoch:scope',
	maxEntries: 10_000,
	ttlMs: 7 * 24 * 3600_000,
	clearedWhen: 'the scope gets past the message; the workflow is deactivated',
});

const reports = region<number>({
	name: 'ingest.reports',
	holds: 'when a failure (scope + error code) was last reported as an error execution',
	key: 'owner:scope:code',
	maxEntries: 10_000,
	ttlMs: 3600_000,
	clearedWhen: 'an hour after the report (then the same failure is reported again)',
});

const running = region<true>({
	name: 'ingest.pollLocks',
	holds: 'a poll of this trigger node is running',
	key: 'owner',
	maxEntries: 10_000,
	// A poll that never ends (a hung server past every timeout) must not block the node for good.
	ttlMs: 6 * 3600_000,
	clearedWhen: 'the poll ends (finally), or after 6 h',
});

/** Polls in a row that failed on message `id` of this scope (0 when the last failure was another message). */
export function failedAttempts(key: string, id: string): number {
	const record = failures.get(key);
	return record && record.id === id ? record.attempts : 0;
}

export function recordFailure(key: string, id: string): number {
	const attempts = failedAttempts(key, id) + 1;
	failures.set(key, { id, attempts });
	return attempts;
}

export function clearFailure(key: string): void {
	failures.delete(key);
}

/** One report per hour per (owner, scope, code): true when this one should reach the user. */
export function shouldReport(key: string, now = Date.now()): boolean {
	if (reports.get(key) !== undefined) return false;
	reports.set(key, now);
	return true;
}

/**
 * One poll per node at a time. n8n's cron fires whether or not the last poll finished; two polls
 * reading the same cursor would emit the same mail. Returns a release function, or undefined
 * when a poll of this node is already running (the caller then returns nothing).
 */
export function tryPollLock(owner: string): (() => void) | undefined {
	if (running.get(owner)) return undefined;
	running.set(owner, true);
	return () => running.delete(owner);
}
