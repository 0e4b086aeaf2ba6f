import { MailIntelError } from '../../errors';
import { imapError } from './errors';
import { fetchEntries, type MessageEntry } from './entries';
import { isEmptySearch, searchQuery, uidSearch, type MessageSearch } from './search';
import type { ImapSession } from './session';
import { uidSet } from './uid-set';

export const MAX_PAGE_SIZE = 1000;

export interface ListOptions {
	/** 0 = the newest messages. */
	page: number;
	pageSize: number;
	/**
	 * The highest UID the listing may show: the `snapshot` a page-0 answer returned. Mail that
	 * arrives later has higher UIDs (RFC 3501 §2.3.1.1), so passing it back keeps every page of
	 * one listing on the same set of messages: nothing repeats, nothing is skipped.
	 */
	snapshot?: number;
	search?: MessageSearch;
}

export interface MessagePage {
	mailbox: string;
	uidValidity: string;
	page: number;
	pageSize: number;
	/** Pages in this snapshot (0 for an empty mailbox). */
	pages: number;
	/** Messages in this snapshot that match the search. */
	total: number;
	/** Pass back as `snapshot` to read further pages of the same listing. */
	snapshot: number;
	messages: MessageEntry[];
}

/**
 * One page of a mailbox, newest first (by UID: arrival order), from a UID snapshot. Without
 * search criteria no SEARCH runs at all: messages up to the snapshot are a prefix of the
 * sequence numbers, so a page is one FETCH of a sequence range and costs the same in a mailbox
 * of 1,000 or 100,000 messages. With criteria, one UID SEARCH limited to `1:snapshot`.
 */
export async function listMessages(
	session: ImapSession,
	mailbox: string,
	options: ListOptions,
): Promise<MessagePage> {
	const page = wholeAtLeast(options.page, 0, 'page');
	const pageSize = wholeAtLeast(options.pageSize, 1, 'pageSize');
	if (pageSize > MAX_PAGE_SIZE)
		throw invalid('pageSize', `page size ${pageSize} is above ${MAX_PAGE_SIZE}`);
	// A pooled connection still on this mailbox from an earlier listing is reused as it is: on
	// Dovecot's Maildir an EXAMINE reads the mailbox's whole uidlist, a NOOP does not (pool.ts).
	const client = await session.client(mailbox);
	const lock = await session.lock(client, mailbox);
	try {
		// A connection that kept this mailbox selected learns of new mail and expunges only when a
		// command ends: a NOOP first, so EXISTS, the newest UID and the SEARCH below all see the
		// same messages as a fresh EXAMINE would.
		await client.noop();
		const box = client.mailbox;
		if (!box) throw imapError({ code: 'NotFound' }, session.settings, mailbox);
		const snapshot =
			options.snapshot === undefined
				? await newestUid(client, box.exists)
				: wholeAtLeast(options.snapshot, 0, 'snapshot');
		const result = (total: number, messages: MessageEntry[]): MessagePage => ({
			mailbox: box.path,
			uidValidity: String(box.uidValidity),
			page,
			pageSize,
			pages: Math.ceil(total / pageSize),
			total,
			snapshot,
			messages,
		});
		if (snapshot === 0 || box.exists === 0) return result(0, []);

		if (isEmptySearch(options.search)) {
			// Messages above the snapshot (arrived since page 0) sit at the end of the sequence.
			// (`n:*` also matches the highest UID below n: RFC 3501 §6.4.8, hence the filter.)
			const above =
				options.snapshot === undefined
					? 0
					: (await uidSearch(client, { uid: `${snapshot + 1}:*` }, mailbox)).filter(
							(uid) => uid > snapshot,
						).length;
			const total = Math.max(0, box.exists - above);
			const high = total - page * pageSize;
			if (high < 1) return result(total, []);
			const low = Math.max(1, high - pageSize + 1);
			const entries = await fetchEntries(session, client, `${low}:${high}`, false);
			return result(
				total,
				entries.filter((entry) => entry.uid <= snapshot),
			);
		}

		const found = await uidSearch(
			client,
			searchQuery(options.search!, client.capabilities, `1:${snapshot}`),
			mailbox,
		);
		const uids = found.filter((uid) => uid <= snapshot).sort((a, b) => b - a);
		const slice = uids.slice(page * pageSize, (page + 1) * pageSize);
		const entries = slice.length ? await fetchEntries(session, client, uidSet(slice), true) : [];
		return result(uids.length, entries);
	} catch (error) {
		throw imapError(error, session.settings, mailbox);
	} finally {
		lock.release();
	}
}

/**
 * The UID of the last message: the snapshot of a new listing. Read from the message itself,
 * not UIDNEXT - 1: UIDNEXT is only reported on SELECT, so a connection that kept the mailbox
 * selected would hold an old one.
 */
async function newestUid(
	client: Awaited<ReturnType<ImapSession['client']>>,
	exists: number,
): Promise<number> {
	if (exists === 0) return 0;
	const last = await client.fetchOne(String(exists), { uid: true });
	return last ? last.uid : 0;
}

function wholeAtLeast(value: number, min: number, field: string): number {
	if (!Number.isInteger(value) || value < min)
		throw invalid(field, `${field} must be a whole number of at least ${min} (got ${value})`);
	return value;
}

function invalid(field: string, message: string): MailIntelError {
	return new MailIntelError(message, {
		source: 'config',
		code: 'INVALID_PARAMETER',
		field,
		hint:
			field === 'snapshot'
				? 'Pass back the snapshot value a page-0 listing returned, or leave it empty for a new listing.'
				: `Set ${field} to a whole number (page counts from 0; page size 1-${MAX_PAGE_SIZE}).`,
	});
}
