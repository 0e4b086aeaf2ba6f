import type { ImapFlow } from 'imapflow';

import { MailIntelError } from '../../../errors';
import type { MessageSummary } from '../../../mail/message-ref';
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
 * or all of them when `changedSince` is undefined.
 */
export async function listFlags(
	client: ImapFlow,
	lastUid: number,
	changedSince?: string,
): Promise<ListedFlags[]> {
	const listed: ListedFlags[] = [];
	if (lastUid < 1) return listed;
	for await (const message of client.fetch(
		`1:${lastUid}`,
		{ uid: true, flags: true, ...(changedSince ? { modseq: true } : {}) },
		{ uid: true, ...(changedSince ? { changedSince: BigInt(changedSince) } : {}) },
	)) {
		listed.push({
			uid: message.uid,
			flags: normalizeFlags(message.flags),
			...(message.modseq === undefined ? {} : { modseq: message.modseq.toString() }),
		});
	}
	return listed;
}

/** Messages above `lastUid`, oldest first, with the metadata the fetch path needs (size, date, flags). */
export async function listNew(
	client: ImapFlow,
	account: string,
	mailbox: string,
	uidValidity: string,
	lastUid: number,
): Promise<MessageSummary[]> {
	const found: MessageSummary[] = [];
	for await (const message of client.fetch(
		`${lastUid + 1}:*`,
		{ uid: true, flags: true, internalDate: true, size: true },
		{ uid: true },
	)) {
		// `n:*` always matches the highest UID, even below n (RFC 3501 §6.4.8).
		if (message.uid <= lastUid) continue;
		const summary = summarize(account, mailbox, uidValidity, message);
		found.push({ ...summary, flags: normalizeFlags(summary.flags) });
	}
	return found.sort((a, b) => (a.uid as number) - (b.uid as number));
}
