import type { ImapFlow } from 'imapflow';

import { MailIntelError } from '../../../errors';
import type { MessageSummary } from '../../../mail/message-ref';
import { isListingAnswer } from '../listing-answer';
import { summarize } from '../summary';
import { normalizeFlags, type ListedFlags } from './changes';

/**
 * The IMAP commands of one change pass on the watcher's own connection, the mailbox already
 * EXAMINEd. Each one breaks IDLE (imapflow sends DONE first); imapflow resumes IDLE after.
 */

export interface MailboxSnapshot {
	uidValidity: string;
	uidNext: number;
	highestModseq?: string;
}

/**
 * STATUS of the selected mailbox: read before the pass, its HIGHESTMODSEQ bounds what the pass
 * covers. MESSAGES is asked for imapflow's sake: it resets imapflow's message count, which a
 * VANISHED response (QRESYNC) does not lower. With a stale count, the server's next `* n EXISTS`
 * could equal it and imapflow would not report the arrival (seen with Dovecot 2.3).
 */
export async function snapshot(client: ImapFlow, mailbox: string): Promise<MailboxSnapshot> {
	const status = await client.status(mailbox, {
		messages: true,
		uidNext: true,
		uidValidity: true,
		highestModseq: true,
	});
	if (!status)
		throw new MailIntelError(`STATUS failed for mailbox "${mailbox}"`, {
			source: 'imap',
			code: 'STATUS_FAILED',
			retryable: true,
		});
	return {
		uidValidity: String(status.uidValidity ?? ''),
		uidNext: status.uidNext ?? 1,
		...(status.highestModseq === undefined
			? {}
			: { highestModseq: status.highestModseq.toString() }),
	};
}

/**
 * Flags of the messages in 1:lastUid: those changed since `changedSince` (RFC 7162 CHANGEDSINCE,
 * with VANISHED under QRESYNC: the expunged UIDs arrive as imapflow 'expunge' events meanwhile),
 * or all of them when `changedSince` is undefined. Each UID once, as the last response said it.
 *
 * Why once: unsolicited flag updates come among the answers (see isListingAnswer), and two
 * entries for one UID became two identical flag events. This query asks for no size, so an
 * update cannot be told from an answer; it is as current, so the last response for a UID wins.
 * One without a UID, or outside 1:lastUid, is left out: its change also shows in the next pass
 * (its MODSEQ is above the snapshot's, or the message is new).
 */
export async function listFlags(
	client: ImapFlow,
	lastUid: number,
	changedSince?: string,
): Promise<ListedFlags[]> {
	if (lastUid < 1) return [];
	const latest = new Map<number, ListedFlags>();
	for await (const message of client.fetch(
		`1:${lastUid}`,
		{ uid: true, flags: true, ...(changedSince ? { modseq: true } : {}) },
		{ uid: true, ...(changedSince ? { changedSince: BigInt(changedSince) } : {}) },
	)) {
		const uid: number | undefined = message.uid;
		if (typeof uid !== 'number' || uid < 1 || uid > lastUid) continue;
		latest.delete(uid); // listed in the order of the latest responses
		latest.set(uid, {
			uid,
			flags: normalizeFlags(message.flags),
			...(message.modseq === undefined ? {} : { modseq: message.modseq.toString() }),
		});
	}
	return [...latest.values()];
}

/**
 * Messages above `lastUid`, oldest first, each once, with the metadata the fetch path needs (size,
 * date, flags): only the FETCH's own answers count (isListingAnswer).
 */
export async function listNew(
	client: ImapFlow,
	account: string,
	mailbox: string,
	uidValidity: string,
	lastUid: number,
): Promise<MessageSummary[]> {
	const found = new Map<number, MessageSummary>();
	for await (const message of client.fetch(
		`${lastUid + 1}:*`,
		{ uid: true, flags: true, internalDate: true, size: true },
		{ uid: true },
	)) {
		// `n:*` always matches the highest UID, even below n (RFC 3501 §6.4.8).
		if (!isListingAnswer(message) || message.uid <= lastUid) continue;
		const summary = summarize(account, mailbox, uidValidity, message);
		found.set(message.uid, { ...summary, flags: normalizeFlags(summary.flags) });
	}
	return [...found.values()].sort((a, b) => (a.uid as number) - (b.uid as number));
}
