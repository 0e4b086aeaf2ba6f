import { createHash } from 'node:crypto';

/**
 * A cursor's bounded memory of emitted messages, for providers whose change feed can hand the
 * same message out again: a Graph delta pass returns changed messages too, and a full resync
 * (an expired delta token, an expired Gmail history id) lists the start window again. Neither
 * may emit a message twice. Kept in static data as JSON.
 */
export interface EmittedMemory {
	/** Recently emitted messages, oldest first, as `hash(id):receivedAt(base36 s)`; at most `cap`. */
	recent: string[];
	/** ISO time: messages received before it were settled when they left `recent`; never emitted again. */
	floor?: string;
}

/** 2,000 entries × ~26 bytes of JSON ≈ 52 kB of static data per scope: bounded, and larger than any burst expected between passes. */
export const RECENT_CAP = 2000;

export function idHash(id: string): string {
	return createHash('sha256').update(id).digest('base64url').slice(0, 16);
}

/**
 * Membership test over that memory. During a pass it only grows (so nothing seen in this pass
 * is hidden); the memory it writes keeps the `cap` most recently received ids, and the newest
 * received time among those it lets go becomes the floor. Trade-off, on purpose: a message that
 * reaches the scope later with a received time older than the floor (e.g. an old email moved
 * in) is not emitted.
 */
export class EmittedSet {
	private readonly hashes: Map<string, number>;
	private readonly floorMs: number;

	constructor(
		memory: Partial<EmittedMemory> | undefined,
		private readonly cap = RECENT_CAP,
	) {
		this.hashes = new Map(
			(memory?.recent ?? []).map((entry) => {
				const [hash, seconds] = entry.split(':');
				return [hash, parseInt(seconds ?? '0', 36) * 1000] as const;
			}),
		);
		this.floorMs = memory?.floor ? Date.parse(memory.floor) : 0;
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

	toMemory(): EmittedMemory {
		let entries = [...this.hashes];
		let floorMs = this.floorMs;
		if (entries.length > this.cap) {
			entries = entries.sort((a, b) => a[1] - b[1]);
			const evicted = entries.slice(0, entries.length - this.cap);
			entries = entries.slice(-this.cap);
			floorMs = evicted.reduce((max, [, at]) => Math.max(max, at), floorMs);
		}
		const recent = entries.map(([hash, at]) => `${hash}:${Math.floor(at / 1000).toString(36)}`);
		return { recent, ...(floorMs > 0 ? { floor: new Date(floorMs).toISOString() } : {}) };
	}
}
