import { fetchEntries, type MessageEntry } from './entries';
import { imapError } from './errors';
import { bracketMessageId, uidSearch } from './search';
import type { ImapSession } from './session';
import { uidSet } from './uid-set';

/**
 * Every copy of a message, by its Message-ID, in every selectable mailbox of the account: one
 * `UID SEARCH HEADER Message-ID` per mailbox (served from Dovecot's cache), then the entries of
 * what matched. SEARCH HEADER matches substrings, so each hit is checked for the exact id.
 */
export async function findByMessageId(
	session: ImapSession,
	messageId: string,
): Promise<MessageEntry[]> {
	const wanted = bracketMessageId(messageId);
	const client = await session.client();
	let mailboxes: string[];
	try {
		const list = await client.list({ listOnly: true });
		mailboxes = list
			.filter((entry) => !entry.flags.has('\\Noselect') && !entry.flags.has('\\NonExistent'))
			.map((entry) => entry.path);
	} catch (error) {
		throw imapError(error, session.settings);
	}
	const found: MessageEntry[] = [];
	for (const mailbox of mailboxes) {
		const lock = await session.lock(client, mailbox);
		try {
			const uids = await uidSearch(client, { header: { 'message-id': wanted } }, mailbox);
			if (uids.length === 0) continue;
			const entries = await fetchEntries(session, client, uidSet(uids), true);
			found.push(...entries.filter((entry) => entry.messageId === wanted));
		} catch (error) {
			throw imapError(error, session.settings, mailbox);
		} finally {
			lock.release();
		}
	}
	return found;
}
