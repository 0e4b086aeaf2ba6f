import type { EmittedMemory } from '../../ingest/emitted';

/**
 * The Gmail cursor of one mailbox (DESIGN.md §3: "Gmail: historyId"), kept in the trigger's
 * static data. `historyId` is the source of truth: every message added after it is read from
 * `history.list`. `recent` exists because a full sync (the first run, or an expired history id)
 * lists the start window, and what the history then reports overlaps it: neither may emit a
 * message twice.
 */
export interface GmailCursor extends EmittedMemory {
	/** Records after this history id are still to be read. */
	historyId?: string;
	/**
	 * A full sync is under way (it stopped at the poll's limit): the next poll lists the start
	 * window again, skipping what `recent` holds, before it reads history from `historyId`.
	 */
	syncing?: boolean;
	/**
	 * The push trigger's stamp, raised by every pass it stores: overlapping webhook calls read
	 * static data that may be stale, and the newest cursor (lib/ingest/pass-lock.ts) wins.
	 * The polling trigger leaves it out.
	 */
	seq?: number;
}

/**
 * 5,000 ids ≈ 130 kB of static data: more than the messages a poll emits by default, so a sync
 * that spans polls, and the window of a resync after a week-long outage of a normal mailbox,
 * are remembered whole. Beyond it the oldest fall under `floor`.
 */
export const GMAIL_RECENT_CAP = 5000;

/** History ids are unsigned 64-bit decimals: compared as BigInt, never as floats. */
export function historyIdBefore(id: string): string {
	const value = BigInt(id);
	return value > 0n ? (value - 1n).toString() : '0';
}

export function laterHistoryId(a: string | undefined, b: string | undefined): string | undefined {
	if (a === undefined) return b;
	if (b === undefined) return a;
	return BigInt(a) >= BigInt(b) ? a : b;
}
