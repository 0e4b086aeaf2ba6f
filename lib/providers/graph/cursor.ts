import { createHash } from 'node:crypto';

/**
 * The Graph cursor for one mailbox folder, kept in the trigger's static data.
 * The delta link is the source of truth (README "Exactly once"); `recent` exists because a delta pass
 * returns *changed* messages too (read, flagged, categorised) and because a full resync after
 * an expired delta token lists the folder again: neither may emit a message twice.
 */
export interface GraphCursor {
	/** The stored `@odata.deltaLink`, or an `@odata.nextLink` when a pass stopped at the item limit. Followed verbatim. */
	link?: string;
	/** Recently emitted messages, oldest first, as `hash(id):receivedAt(base36 s)`; at most RECENT_CAP entries. */
	recent: string[];
	/** ISO time: messages received before it were settled when they left `recent`; never emitted again. */
	floor?: string;
	/** Increases on every store: concurrent webhook runs read static data that may be stale; the newest wins. */
	seq: number;
}

/** 2,000 entries × ~26 bytes of JSON ≈ 52 kB of static data per folder: bounded, and larger than any burst expected between passes. */
export const RECENT_CAP = 2000;

export function emptyCursor(): GraphCursor {
	return { recent: [], seq: 0 };
}

export function idHash(id: string): string {
	return createHash('sha256').update(id).digest('base64url').slice(0, 16);
}

/**
 * Membership test over the cursor's bounded memory of emitted messages. During a pass it only
 * grows (so nothing seen in this pass is hidden); the cursor it writes keeps the RECENT_CAP
 * most recently received ids, and the newest received time among those it lets go becomes
 * the floor. Trade-off, on purpose: a message that reaches the folder later with a received
 * time older than the floor (e.g. an old email moved in) is not emitted.
 */
export class EmittedSet {
	private readonly hashes: Map<string, number>;
	private readonly floorMs: number;

	constructor(cursor: GraphCursor | undefined) {
		this.hashes = new Map(
			(cursor?.recent ?? []).map((entry) => {
				const [hash, seconds] = entry.split(':');
				return [hash, parseInt(seconds ?? '0', 36) * 1000] as const;
			}),
		);
		this.floorMs = cursor?.floor ? Date.parse(cursor.floor) : 0;
	}

	/** True when the message was emitted before (by id), or is older than what we still remember. */
	has(id: string, receivedAt: string | undefined): boolean {
		if (this.hashes.has(idHash(id))) return true;
		const at = receivedAt ? Date.parse(receivedAt) : NaN;
		return this.floorMs > 0 && Number.isFinite(at) && at < this.floorMs;
	}

	add(id: string, receivedAt: string | undefined): void {
		this.hashes.set(idHash(id), receivedAt ? Date.parse(receivedAt) || 0 : 0);
	}

	toCursor(link: string | undefined, seq: number): GraphCursor {
		let entries = [...this.hashes];
		let floorMs = this.floorMs;
		if (entries.length > RECENT_CAP) {
			entries = entries.sort((a, b) => a[1] - b[1]);
			const evicted = entries.slice(0, entries.length - RECENT_CAP);
			entries = entries.slice(-RECENT_CAP);
			floorMs = evicted.reduce((max, [, at]) => Math.max(max, at), floorMs);
		}
		const recent = entries.map(([hash, at]) => `${hash}:${Math.floor(at / 1000).toString(36)}`);
		return {
			...(link ? { link } : {}),
			recent,
			...(floorMs > 0 ? { floor: new Date(floorMs).toISOString() } : {}),
			seq,
		};
	}
}
