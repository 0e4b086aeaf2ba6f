import type { Readable } from 'node:stream';

import { errorMessage } from '../errors';
import type { FetchLike } from '../providers/imap/auth';
import { setFlags } from '../providers/imap/actions';
import { appendSentCopy, serverSavesSentMail, type SentCopy } from '../providers/imap/sent-copy';
import type { ImapSession } from '../providers/imap/session';
import { buildMessage, messageStream } from './build';
import { composeMessage, type ComposeInput } from './compose';
import { onServer } from './reference';
import { assertLoginProtected, type SmtpSettings } from './settings';
import { submitMessage, type SmtpDelivery } from './transport';

/** The keyword a forward sets on the original (RFC 5788 registry; Thunderbird, Dovecot, Gmail). */
export const FORWARDED_KEYWORD = '$Forwarded';
export const ANSWERED_FLAG = '\\Answered';

export interface SendOptions {
	smtp: SmtpSettings;
	/** The same account's IMAP side: flags on the original and the Sent copy. */
	imap?: ImapSession;
	/** APPEND the sent message to the Sent mailbox (skipped on Gmail, which files it itself). */
	saveToSent: boolean;
	/** Mailbox for the copy; default the one LIST marks `\Sent`. */
	sentMailbox?: string;
	/** Set `\Answered` / `$Forwarded` on the original. */
	markOriginal: boolean;
	maxMessageBytes?: number;
	fetch?: FetchLike;
}

/** What happened after the server accepted the message; a failure here never means "not sent". */
export type FollowUp<T> =
	| ({ done: true } & T)
	| { done: false; skipped: string }
	| { done: false; error: string };

export interface SendResult {
	messageId: string;
	envelope: { from: string; to: string[] };
	accepted: string[];
	rejected: string[];
	response: string;
	sentCopy: FollowUp<SentCopy>;
	originalFlag: FollowUp<{ flag: string }>;
}

/**
 * Sends one message and then does what a mail client does: flags the original and files a copy
 * in Sent. Once the server has accepted the message these follow-ups only report their failure
 * (in the result): throwing then would make a workflow retry and send the message twice.
 */
export async function sendEmail(input: ComposeInput, options: SendOptions): Promise<SendResult> {
	// before any attachment is read or any socket opened
	assertLoginProtected(options.smtp);
	const composed = composeMessage(input);
	const noCopy = await sentCopySkipped(options);
	const submit = (raw: Buffer | Readable) =>
		submitMessage(options.smtp, composed.envelope, raw, {
			...(options.fetch ? { fetch: options.fetch } : {}),
		});
	let messageId: string;
	let delivery: SmtpDelivery;
	let sentCopy: SendResult['sentCopy'];
	if (noCopy) {
		// nothing to APPEND afterwards: the message is written straight into the SMTP socket
		const built = messageStream(composed.mail, options.maxMessageBytes);
		messageId = built.messageId;
		delivery = await submit(built.stream);
		sentCopy = noCopy;
	} else {
		const built = await buildMessage(composed.mail, options.maxMessageBytes);
		messageId = built.messageId;
		delivery = await submit(built.raw);
		sentCopy = await fileSentCopy(built.raw, options);
	}
	const originalFlag = await flagOriginal(input, options);
	return {
		messageId,
		envelope: composed.envelope,
		...delivery,
		sentCopy,
		originalFlag,
	};
}

async function flagOriginal(
	input: ComposeInput,
	options: SendOptions,
): Promise<SendResult['originalFlag']> {
	if (input.action === 'send') return { done: false, skipped: 'not a reply or forward' };
	if (!options.markOriginal) return { done: false, skipped: 'turned off' };
	const locatorRef = input.reference?.ref;
	if (!options.imap || !locatorRef || locatorRef.provider !== 'imap')
		return { done: false, skipped: 'the original has no IMAP locator' };
	const flag = input.action === 'forward' ? FORWARDED_KEYWORD : ANSWERED_FLAG;
	try {
		const ref = onServer(options.imap, locatorRef);
		await setFlags(options.imap, ref, { add: [flag] });
		return { done: true, flag };
	} catch (error) {
		return { done: false, error: errorMessage(error) };
	}
}

/**
 * Why no Sent copy will be stored, or undefined when one will. An IMAP server that cannot be
 * asked now does not stop the sending: the copy is then attempted, and its failure reported.
 */
async function sentCopySkipped(
	options: SendOptions,
): Promise<{ done: false; skipped: string } | undefined> {
	if (!options.saveToSent) return { done: false, skipped: 'turned off' };
	if (!options.imap) return { done: false, skipped: 'no IMAP account' };
	try {
		if (await serverSavesSentMail(options.imap))
			return { done: false, skipped: 'Gmail files sent mail itself' };
	} catch {
		return undefined;
	}
	return undefined;
}

async function fileSentCopy(raw: Buffer, options: SendOptions): Promise<SendResult['sentCopy']> {
	try {
		return {
			done: true,
			...(await appendSentCopy(options.imap as ImapSession, raw, options.sentMailbox)),
		};
	} catch (error) {
		return { done: false, error: errorMessage(error) };
	}
}
