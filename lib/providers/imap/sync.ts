import type { FetchMessageObject, FetchQueryObject, ImapFlow, SearchObject } from 'imapflow';

import { MailIntelError } from '../../errors';
import type { ChangeBatch, ChangeOptions, MessageSummary } from '../../mail/message-ref';
import { emittedKey, mailboxWasReset, type ImapCursor } from './cursor';
import { imapError } from './errors';
import { isListingAnswer } from './listing-answer';
import type { ImapSession, MailboxStatus } from './session';
import { summarize } from './summary';
import { uidSet } from './uid-set';

/** SEARCH SINCE compares dates in the server's time zone, day granularity: widen by a day, then filter exactly. */
const SEARCH_SINCE_SLACK_MS = 24 * 3600 * 1000;

/**
 * New messages since `cursor`, oldest first, at most `options.limit`. Empty poll: one STATUS.
 * A first run or a reset mailbox (UIDVALIDITY change, UIDs renumbered) scans from
 * `options.since` and skips what the cursor remembers emitting.
 */
export async function* imapChanges(
	session: ImapSession,
	mailbox: string,
	cursor: ImapCursor | undefined,
	options: ChangeOptions,
): AsyncGenerator<ChangeBatch<ImapCursor>> {
	const status = await session.status(mailbox);
	const reset = cursor !== undefined && mailboxWasReset(cursor, status);
	if (cursor && !reset && status.uidNext <= cursor.lastUid + 1) {
		yield {
			messages: [],
			cursor: {
				...cursor,
				...(status.highestModseq ? { highestModseq: status.highestModseq } : {}),
			},
			more: false,
		};
		return;
	}
	// The lock is released before the batch is yielded: the consumer fetches the bodies
	// (fetchMany takes the same mailbox lock) while this generator is suspended.
	yield await scan(session, mailbox, cursor, reset, status, options);
}

async function scan(
	session: ImapSession,
	mailbox: string,
	cursor: ImapCursor | undefined,
	reset: boolean,
	status: Pick<MailboxStatus, 'highestModseq'>,
	options: ChangeOptions,
): Promise<ChangeBatch<ImapCursor>> {
	const client = await session.client();
	const lock = await session.lock(client, mailbox);
	try {
		const box = client.mailbox;
		if (!box)
			throw new MailIntelError(`mailbox "${mailbox}" could not be opened`, {
				source: 'imap',
				field: 'mailboxes',
			});
		const uidValidity = String(box.uidValidity);
		// Re-check against what SELECT says: the mailbox may have been reset since STATUS.
		const resynced =
			cursor !== undefined &&
			(reset || mailboxWasReset(cursor, { uidValidity, uidNext: box.uidNext }));
		const windowed = cursor === undefined || resynced;
		const fromUid = windowed ? 1 : cursor.lastUid + 1;
		const highestModseq = box.highestModseq?.toString() ?? status.highestModseq;

		const candidates = await searchUids(
			session,
			client,
			mailbox,
			fromUid,
			windowed ? options.since : undefined,
		);
		// After a reset, what was already emitted is recognized by Message-ID + Date (bounded memory).
		const alreadyEmitted =
			resynced && cursor?.emitted?.length ? new Set(cursor.emitted) : undefined;
		const kept: MessageSummary[] = [];
		let examined = 0;
		let lastPassed = fromUid - 1;
		while (kept.length < options.limit && examined < candidates.length) {
			if (options.signal?.aborted) break;
			const chunk = candidates.slice(examined, examined + Math.max(options.limit - kept.length, 1));
			const metadata = await fetchMetadata(client, chunk, alreadyEmitted !== undefined);
			for (const uid of chunk) {
				examined++;
				lastPassed = uid;
				const message = metadata.get(uid);
				if (!message) continue; // expunged since SEARCH: nothing left to emit
				const summary = summarize(session.account, mailbox, uidValidity, message);
				if (
					windowed &&
					summary.receivedAt &&
					Date.parse(summary.receivedAt) < options.since.getTime()
				)
					continue;
				if (alreadyEmitted?.has(emittedKey(summary))) continue;
				kept.push(summary);
				if (kept.length >= options.limit) break;
			}
		}
		const more = examined < candidates.length;
		// Everything below UIDNEXT that SEARCH did not return does not exist or is filtered
		// out, so the watermark may pass it; otherwise stop at the last UID looked at.
		const lastUid = more
			? lastPassed
			: Math.max(lastPassed, box.uidNext - 1, windowed ? 0 : (cursor?.lastUid ?? 0));
		return {
			messages: kept,
			cursor: {
				uidValidity,
				lastUid,
				...(highestModseq ? { highestModseq } : {}),
				// The keys of this batch are added once the messages are emitted (source.ts cursorAfter).
				...(cursor?.emitted ? { emitted: cursor.emitted } : {}),
			},
			more,
			...(resynced ? { resynced: true } : {}),
		};
	} catch (error) {
		throw imapError(error, session.settings, mailbox);
	} finally {
		lock.release();
	}
}

/** The newest message of a mailbox (the trigger's "fetch test event"), or undefined when empty. */
export async function newestMessage(
	session: ImapSession,
	mailbox: string,
): Promise<MessageSummary | undefined> {
	const client = await session.client();
	const lock = await session.lock(client, mailbox);
	try {
		if (!client.mailbox || client.mailbox.exists === 0) return undefined;
		const message = await client.fetchOne('*', {
			uid: true,
			internalDate: true,
			size: true,
			envelope: true,
			flags: true,
		});
		return message
			? summarize(session.account, mailbox, String(client.mailbox.uidValidity), message)
			: undefined;
	} catch (error) {
		throw imapError(error, session.settings, mailbox);
	} finally {
		lock.release();
	}
}

async function searchUids(
	session: ImapSession,
	client: ImapFlow,
	mailbox: string,
	fromUid: number,
	since: Date | undefined,
): Promise<number[]> {
	const query: SearchObject = { uid: `${fromUid}:*` };
	if (since) query.since = new Date(since.getTime() - SEARCH_SINCE_SLACK_MS);
	const search = session.options.search;
	if (search?.from) query.from = search.from;
	if (search?.to) query.to = search.to;
	if (search?.subject) query.subject = search.subject;
	const found = await client.search(query, { uid: true });
	if (found === false)
		throw new MailIntelError(`SEARCH failed in "${mailbox}"`, {
			source: 'imap',
			code: 'SEARCH_FAILED',
			retryable: true,
		});
	// `n:*` always matches the highest UID, even below n (RFC 3501 §6.4.8): drop those.
	return (found ?? []).filter((uid) => uid >= fromUid).sort((a, b) => a - b);
}

/**
 * UID, INTERNALDATE, size and flags: cheap for the server. Message-ID and Date are read
 * (header fields only, no ENVELOPE) just when a reset mailbox is re-scanned and they are
 * needed to recognize already-emitted mail.
 */
async function fetchMetadata(
	client: ImapFlow,
	uids: number[],
	withIdentity: boolean,
): Promise<Map<number, FetchMessageObject>> {
	const result = new Map<number, FetchMessageObject>();
	if (uids.length === 0) return result;
	const query: FetchQueryObject = { uid: true, internalDate: true, size: true, flags: true };
	if (withIdentity) query.headers = ['message-id', 'date'];
	for await (const message of client.fetch(uidSet(uids), query, { uid: true }))
		if (isListingAnswer(message)) result.set(message.uid, message);
	return result;
}
