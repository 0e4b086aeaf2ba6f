import { EmittedSet as EmittedMemorySet } from '../../ingest/emitted';

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

export { RECENT_CAP, idHash } from '../../ingest/emitted';

export function emptyCursor(): GraphCursor {
	return { recent: [], seq: 0 };
}

/** lib/ingest/emitted.ts's memory of emitted messages, written as a Graph cursor. */
export class EmittedSet extends EmittedMemorySet {
	toCursor(link: string | undefined, seq: number): GraphCursor {
		return { ...(link ? { link } : {}), ...this.toMemory(), seq };
	}
}
