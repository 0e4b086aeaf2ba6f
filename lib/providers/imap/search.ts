import type { ImapFlow, SearchObject } from 'imapflow';

import { MailIntelError } from '../../errors';

/**
 * What the "Message: List" search offers, in the user's words. Every criterion narrows the
 * result (IMAP SEARCH ANDs its keys); an empty search matches every message.
 */
export interface MessageSearch {
	/** Substring of From (IMAP SEARCH FROM). */
	from?: string;
	to?: string;
	subject?: string;
	/** Received on or after this day (INTERNALDATE, the server's day: RFC 3501 SINCE). */
	since?: Date;
	/** Received before this day (RFC 3501 BEFORE). */
	before?: Date;
	/** Only messages without \Seen. */
	unseen?: boolean;
	/** Only messages with \Flagged. */
	flagged?: boolean;
	/** Substring of the headers or body (IMAP SEARCH TEXT). */
	text?: string;
	/** Header name -> substring of its value (IMAP SEARCH HEADER). */
	headers?: Record<string, string>;
	/** The Message-ID, with or without angle brackets. */
	messageId?: string;
	/** Gmail's own search syntax (X-GM-RAW), only where the server offers X-GM-EXT-1. */
	gmailRaw?: string;
}

/** A search with no criterion at all: the listing can then page by sequence number (no SEARCH). */
export function isEmptySearch(search: MessageSearch | undefined): boolean {
	if (!search) return true;
	return (
		!search.from &&
		!search.to &&
		!search.subject &&
		!search.since &&
		!search.before &&
		!search.unseen &&
		!search.flagged &&
		!search.text &&
		!search.messageId &&
		!search.gmailRaw &&
		Object.keys(search.headers ?? {}).length === 0
	);
}

/** `<id@host>` whatever the user typed (`id@host`, `<id@host>`, spaces around). */
export function bracketMessageId(value: string): string {
	const bare = value.trim().replace(/^<+/, '').replace(/>+$/, '');
	if (!bare || /[\s<>]/.test(bare))
		throw new MailIntelError(`"${value}" is not a Message-ID`, {
			source: 'config',
			code: 'INVALID_PARAMETER',
			field: 'messageId',
			hint: 'Enter a Message-ID such as <abc123@example.com> (the item field messageId).',
		});
	return `<${bare}>`;
}

/**
 * Builds imapflow's SEARCH object for the criteria, limited to `uids` (e.g. the UID snapshot
 * `1:n`). X-GM-RAW is refused up front on a server without X-GM-EXT-1, naming the field.
 */
export function searchQuery(
	search: MessageSearch,
	capabilities: { has(name: string): boolean },
	uids?: string,
): SearchObject {
	const query: SearchObject = {};
	if (uids) query.uid = uids;
	if (search.from) query.from = search.from;
	if (search.to) query.to = search.to;
	if (search.subject) query.subject = search.subject;
	if (search.since) query.since = search.since;
	if (search.before) query.before = search.before;
	if (search.unseen) query.seen = false;
	if (search.flagged) query.flagged = true;
	if (search.text) query.text = search.text;
	const headers: Record<string, string> = { ...(search.headers ?? {}) };
	if (search.messageId) headers['message-id'] = bracketMessageId(search.messageId);
	for (const name of Object.keys(headers)) {
		if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name))
			throw new MailIntelError(`"${name}" is not a header name`, {
				source: 'config',
				code: 'INVALID_PARAMETER',
				field: 'headers',
				hint: 'A header name is printable ASCII without spaces or ":", e.g. X-Spam-Flag.',
			});
	}
	if (Object.keys(headers).length) query.header = headers;
	if (search.gmailRaw) {
		if (!capabilities.has('X-GM-EXT-1'))
			throw new MailIntelError(
				'this IMAP server does not offer Gmail search (X-GM-RAW needs the X-GM-EXT-1 capability)',
				{
					source: 'imap',
					code: 'NOT_SUPPORTED',
					field: 'gmailRaw',
					hint: 'Leave "Gmail Search" empty on servers other than Gmail; use the other search fields instead.',
				},
			);
		query.gmraw = search.gmailRaw;
	}
	return query;
}

/** UID SEARCH in the selected mailbox; a server NO is an error, never an empty result. */
export async function uidSearch(
	client: Pick<ImapFlow, 'search'>,
	query: SearchObject,
	mailbox: string,
): Promise<number[]> {
	const found = await client.search(query, { uid: true });
	if (!found)
		throw new MailIntelError(`the server refused the SEARCH in "${mailbox}"`, {
			source: 'imap',
			code: 'SEARCH_FAILED',
		});
	return found;
}
