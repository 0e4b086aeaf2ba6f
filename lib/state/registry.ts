/**
 * The one registry of process-wide state. Everything the pack keeps in memory beyond one call
 * (a poll, a webhook request, a hook) is a region declared here, and each region says what it
 * holds, what its key is, how it is bounded and when its entries go. Nothing else in the pack
 * may keep a module-level Map of per-workflow data.
 *
 * Keys start with an owner: `${workflowId}:${nodeId}:${mode}` (see ownerKey). Deactivating a
 * workflow calls `clearOwner()`, which drops every entry of that node in every region; regions
 * are also bounded (oldest entry evicted first) and entries expire, so a node that is never
 * deactivated cleanly (a poller, a deleted workflow) cannot make the process grow.
 *
 * All of it is per process: in n8n's queue mode each process has its own. What must be shared
 * between processes lives in n8n's static data or, for webhook passes (their lease and newest
 * cursor), in n8n's queue Redis (lib/ingest/shared-passes.ts), never here (see README
 * "Process-wide state"). README "Queue mode" says for each region which process uses it there.
 */
export interface RegionSpec<V = unknown> {
	/** Unique, e.g. `ingest.pollLocks`. */
	name: string;
	/** What one entry is. */
	holds: string;
	/** What the key is made of (always starting with the owner). */
	key: string;
	/** Entries kept at most; the least recently set is evicted beyond it. */
	maxEntries: number;
	/** Entries older than this are gone (undefined: until evicted or cleared). */
	ttlMs?: number;
	/** When entries are removed besides eviction and expiry. */
	clearedWhen: string;
	/**
	 * Called with an entry's value whenever it leaves the region (deleted, replaced, evicted,
	 * expired, cleared): for values that hold a resource, such as a timer, that must not outlive
	 * its entry.
	 */
	dispose?: (value: V) => void;
}

interface Entry<V> {
	value: V;
	setAt: number;
}

/** One bounded, expiring map. Insertion order doubles as age order: a set() moves the key to the end. */
export class Region<V> {
	private readonly entries = new Map<string, Entry<V>>();

	constructor(
		readonly spec: RegionSpec<V>,
		private readonly now: () => number = Date.now,
	) {}

	get(key: string): V | undefined {
		const entry = this.entries.get(key);
		if (!entry) return undefined;
		if (this.expired(entry)) {
			this.remove(key, entry);
			return undefined;
		}
		return entry.value;
	}

	has(key: string): boolean {
		return this.get(key) !== undefined;
	}

	set(key: string, value: V): void {
		const previous = this.entries.get(key);
		this.entries.delete(key);
		if (previous && previous.value !== value) this.spec.dispose?.(previous.value);
		this.entries.set(key, { value, setAt: this.now() });
		while (this.entries.size > this.spec.maxEntries) {
			const [oldest, entry] = this.entries.entries().next().value as [string, Entry<V>];
			this.remove(oldest, entry);
		}
	}

	delete(key: string): void {
		const entry = this.entries.get(key);
		if (entry) this.remove(key, entry);
	}

	/** Drops every key that starts with `prefix` (an owner, or an owner plus a scope). */
	clearPrefix(prefix: string): number {
		let removed = 0;
		for (const key of [...this.entries.keys()]) {
			if (key.startsWith(prefix)) {
				this.delete(key);
				removed++;
			}
		}
		return removed;
	}

	get size(): number {
		return this.entries.size;
	}

	/** The live entries, oldest first (for a lookup by something other than the key). */
	*values(): IterableIterator<[string, V]> {
		for (const [key, entry] of [...this.entries]) {
			if (this.expired(entry)) this.remove(key, entry);
			else yield [key, entry.value];
		}
	}

	private remove(key: string, entry: Entry<V>): void {
		this.entries.delete(key);
		this.spec.dispose?.(entry.value);
	}

	private expired(entry: Entry<V>): boolean {
		return this.spec.ttlMs !== undefined && this.now() - entry.setAt > this.spec.ttlMs;
	}
}

const regions = new Map<string, Region<unknown>>();

/** Declares a region (once per name; a second declaration with the same name returns the first). */
export function region<V>(spec: RegionSpec<V>): Region<V> {
	const existing = regions.get(spec.name);
	if (existing) return existing as unknown as Region<V>;
	const created = new Region<V>(spec);
	regions.set(spec.name, created as unknown as Region<unknown>);
	return created;
}

/** Every declared region, for the README table and for tests that prove nothing is left behind. */
export function describeRegions(): Array<Omit<RegionSpec, 'dispose'> & { size: number }> {
	return [...regions.values()].map(({ spec: { dispose: _dispose, ...spec }, size }) => ({
		...spec,
		size,
	}));
}

/** Drops everything one trigger node keeps (deactivation). Returns how many entries went. */
export function clearOwner(owner: string): number {
	let removed = 0;
	for (const r of regions.values()) removed += r.clearPrefix(`${owner}:`);
	return removed;
}

/**
 * The owner part of every key: one node of one workflow in one mode. Manual runs (Fetch Test
 * Event, test webhooks) are a different owner from the active trigger, so they can never
 * advance, lock or read what production uses.
 */
export function ownerKey(workflowId: string | undefined, nodeId: string, manual: boolean): string {
	return `${workflowId ?? 'unsaved'}:${nodeId}:${manual ? 'manual' : 'active'}`;
}
