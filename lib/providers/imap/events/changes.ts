import type { FlagsByUid } from './types';

/** A message at or below the cursor as the server lists it in a change pass. */
export interface ListedFlags {
	uid: number;
	flags: string[];
	modseq?: string;
}

export interface KnownChanges {
	updated: Array<{
		uid: number;
		flags: string[];
		added?: string[];
		removed?: string[];
		modseq?: string;
	}>;
	deleted: number[];
}

/**
 * Flag changes and deletions among the messages at or below `lastUid`, from what the server
 * listed. `complete` says the listing holds every message that exists (the fallback without
 * QRESYNC: UID FETCH 1:n FLAGS), so a known UID missing from it was deleted; otherwise the
 * listing holds only what changed since the last HIGHESTMODSEQ and deletions come from VANISHED.
 *
 * Duplicates are impossible by construction while `known` is there and the listing names each UID
 * once (listFlags sees to it): a change the server reports twice (it happened after the
 * HIGHESTMODSEQ snapshot, so the next pass reports it again) has no diff the second time, and a
 * UID is deleted only while it is still known. Linear in the listing.
 */
export function changesAmongKnown(
	lastUid: number,
	known: FlagsByUid | undefined,
	listed: ListedFlags[],
	vanished: Iterable<number>,
	complete: boolean,
): KnownChanges {
	const updated: KnownChanges['updated'] = [];
	const seen = complete ? new Set<number>() : undefined;
	for (const message of listed) {
		if (message.uid > lastUid) continue; // not handed on as new yet: its messageNew comes first
		seen?.add(message.uid);
		const before = known?.get(message.uid);
		if (known && before === undefined) continue; // never handed on (arrived and left unseen)
		if (!known) {
			updated.push({ uid: message.uid, flags: message.flags, ...modseqOf(message) });
			continue;
		}
		const diff = flagDiff(before as string[], message.flags);
		if (diff)
			updated.push({ uid: message.uid, flags: message.flags, ...diff, ...modseqOf(message) });
	}
	const deleted = new Set<number>();
	for (const uid of vanished) {
		if (uid > lastUid) continue;
		if (known && !known.has(uid)) continue; // already handed on, or never seen
		deleted.add(uid);
	}
	if (seen && known) for (const uid of known.keys()) if (!seen.has(uid)) deleted.add(uid);
	const gone = [...deleted].sort((a, b) => a - b);
	// A message deleted in the same pass needs no flag event.
	return { updated: updated.filter((u) => !deleted.has(u.uid)), deleted: gone };
}

/** What was added and removed, or undefined when the flag sets are equal (order and case of keywords kept). */
export function flagDiff(
	before: string[],
	after: string[],
): { added: string[]; removed: string[] } | undefined {
	const was = new Set(before);
	const now = new Set(after);
	const added = after.filter((flag) => !was.has(flag));
	const removed = before.filter((flag) => !now.has(flag));
	return added.length || removed.length ? { added, removed } : undefined;
}

/** Flags as a stable list: \Recent is session state (RFC 3501 §2.3.2), never a change of the message. */
export function normalizeFlags(flags: Iterable<string> | undefined): string[] {
	return [...(flags ?? [])].filter((flag) => flag !== '\\Recent').sort();
}

function modseqOf(message: ListedFlags): { modseq?: string } {
	return message.modseq === undefined ? {} : { modseq: message.modseq };
}
