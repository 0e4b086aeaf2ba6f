import { MailIntelError } from '../../errors';
import { imapError } from './errors';
import type { ImapSession } from './session';

export interface SentCopy {
	mailbox: string;
	uid?: number;
	uidValidity?: string;
}

/**
 * Gmail files what its SMTP server sends into "Sent Mail" by itself: an APPEND would store the
 * message twice. Gmail's IMAP announces its extensions with X-GM-EXT-1.
 */
export async function serverSavesSentMail(session: ImapSession): Promise<boolean> {
	const client = await session.client();
	return client.capabilities.has('X-GM-EXT-1');
}

/**
 * The mailbox that holds sent mail: the one LIST marks `\Sent` (RFC 6154 SPECIAL-USE), else a
 * mailbox literally named "Sent" (servers without SPECIAL-USE). Never guessed further: storing
 * a copy in the wrong folder is worse than a clear error.
 */
export async function findSentMailbox(session: ImapSession): Promise<string> {
	const client = await session.client();
	let boxes;
	try {
		boxes = await client.list();
	} catch (error) {
		throw imapError(error, session.settings);
	}
	const marked = boxes.find((box) => box.specialUse === '\\Sent');
	const named = boxes.find((box) => box.path.toLowerCase() === 'sent');
	const found = marked ?? named;
	if (!found)
		throw new MailIntelError('the IMAP server lists no Sent mailbox (SPECIAL-USE \\Sent)', {
			source: 'imap',
			code: 'SENT_MAILBOX_NOT_FOUND',
			field: 'sentMailbox',
			hint: 'Name the mailbox in the Sent Mailbox option, or turn Save to Sent off.',
		});
	return found.path;
}

/** APPENDs the sent message with `\Seen` (the user wrote it); a server NO is a failure. */
export async function appendSentCopy(
	session: ImapSession,
	raw: Buffer,
	mailbox?: string,
): Promise<SentCopy> {
	const target = mailbox || (await findSentMailbox(session));
	const client = await session.client();
	try {
		const result = await client.append(target, raw, ['\\Seen'], new Date());
		if (!result)
			throw new MailIntelError(`the IMAP server refused to store the sent copy in "${target}"`, {
				source: 'imap',
				code: 'APPEND_FAILED',
				field: 'sentMailbox',
			});
		return {
			mailbox: target,
			...(result.uid ? { uid: result.uid } : {}),
			...(result.uidValidity ? { uidValidity: result.uidValidity.toString() } : {}),
		};
	} catch (error) {
		throw imapError(error, session.settings, target);
	}
}
