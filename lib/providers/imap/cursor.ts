import { createHash } from 'node:crypto';

/**
 * Where a mailbox was left, stored per mailbox in the trigger's static data (JSON).
 * Written only once every message up to `lastUid` was emitted (README "Exactly once").
 */
export interface ImapCursor {
	/** UIDs are only comparable within one UIDVALIDITY (RFC 3501 §2.3.1.1); a change = new mailbox. */
	uidValidity: string;
	/** Highest UID emitted or deliberately passed over (outside the window or the search filter). */
	lastUid: number;
	/** HIGHESTMODSEQ at the last poll (RFC 7162); going backwards means the index was rebuilt. */
	highestModseq?: string;
	/**
	 * Short hashes of Message-ID + Date of the most recently emitted messages, newest last,
	 * at most EMITTED_KEYS_CAP: after a UIDVALIDITY change they keep a re-scan from the start
	 * date from emitting the same mail twice. Bounded so static data stays small.
	 */
	emitted?: string[];
}

/** How many emitted-message keys a cursor remembers (~14 bytes each in JSON: ~70 KB at the cap). */
export const EMITTED_KEYS_CAP = 5000;

/**
 * A message's identity that survives UID renumbering: Message-ID + Date header (or, without
 * a Message-ID, Date + size). Computed from the parsed email when it is emitted and from the
 * raw header lines when a reset mailbox is re-scanned, through the same normalizers.
 */
export function emittedKey(message: { messageId?: string; date?: string; size?: number }): string {
	const messageId = normalizeMessageId(message.messageId);
	const identity = messageId
		? `${messageId}\u0000${message.date ?? ''}`
		: `\u0001${message.date ?? ''}\u0000${message.size ?? ''}`;
	// 72 bits of SHA-256: collisions among a few thousand keys are negligible.
	return createHash('sha256').update(identity).digest('base64url').slice(0, 12);
}

/** The key of an emitted email: its Date header only when it had a valid one (not the received-time fallback). */
export function emittedKeyOfEmail(email: {
	messageId?: string;
	date: string;
	dateFromReceived?: boolean;
	parseError?: string;
	size?: number;
}): string {
	const headerDate = email.dateFromReceived || email.parseError ? undefined : email.date;
	return emittedKey({ messageId: email.messageId, date: headerDate, size: email.size });
}

/** The `<local@domain>` token of a Message-ID header, without comments or folding. */
export function normalizeMessageId(value: string | undefined): string | undefined {
	if (!value) return undefined;
	const token = /<[^<>\s]+>/.exec(value);
	const id = (token ? token[0] : value).trim();
	return id || undefined;
}

/** Appends keys and keeps only the newest EMITTED_KEYS_CAP. */
export function rememberEmitted(
	previous: string[] | undefined,
	keys: string[],
	cap = EMITTED_KEYS_CAP,
): string[] {
	const all = (previous ?? []).concat(keys);
	return all.length > cap ? all.slice(all.length - cap) : all;
}

/** True when a stored cursor can no longer be trusted: new UIDVALIDITY, UIDNEXT or HIGHESTMODSEQ went backwards. */
export function mailboxWasReset(
	cursor: ImapCursor,
	now: { uidValidity: string; uidNext?: number; highestModseq?: string },
): boolean {
	if (cursor.uidValidity !== now.uidValidity) return true;
	// UIDs only grow: a UIDNEXT at or below an emitted UID means the UID list was rebuilt.
	if (now.uidNext !== undefined && now.uidNext <= cursor.lastUid) return true;
	if (
		cursor.highestModseq &&
		now.highestModseq &&
		BigInt(now.highestModseq) < BigInt(cursor.highestModseq)
	)
		return true;
	return false;
}
