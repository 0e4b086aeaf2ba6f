import { fetchMessage, download } from '../providers/imap/actions';
import type { ImapSession } from '../providers/imap/session';
import { MailIntelError } from '../errors';
import { parseLocator, type ParsedLocator } from '../mail/locator';
import type { NormalizedEmail } from '../mail/types';
import { DEFAULT_POLICY } from '../mail/policy';
import type { OutgoingAttachment, ReferenceMessage } from './compose';

/**
 * The message a reply or forward refers to, from a normalized email item (what a trigger
 * emitted; its attachments come from the item's binary data) or loaded by its locator from
 * the IMAP server (attachments streamed part by part when the message is built).
 */
export function referenceFromEmail(
	email: Pick<
		NormalizedEmail,
		| 'messageId'
		| 'references'
		| 'subject'
		| 'from'
		| 'replyTo'
		| 'to'
		| 'cc'
		| 'date'
		| 'text'
		| 'html'
	> &
		Partial<Pick<NormalizedEmail, 'locator'>>,
	attachments: OutgoingAttachment[] = [],
): ReferenceMessage {
	let ref: ReferenceMessage['ref'];
	if (email.locator?.startsWith('imap://')) ref = parseLocator(email.locator);
	return {
		...(ref ? { ref } : {}),
		...(email.messageId ? { messageId: email.messageId } : {}),
		references: email.references ?? [],
		subject: email.subject ?? '',
		...(email.from ? { from: email.from } : {}),
		replyTo: email.replyTo ?? [],
		to: email.to ?? [],
		cc: email.cc ?? [],
		...(email.date ? { date: email.date } : {}),
		text: email.text ?? '',
		html: email.html ?? '',
		attachments,
	};
}

/** Reads the original by locator: headers and bodies now, attachment bytes only when sent. */
export async function loadReference(
	session: ImapSession,
	locator: string,
): Promise<ReferenceMessage> {
	const ref = imapRefOn(session, locator);
	// No attachment bytes now (empty allow-list): they are listed, and streamed when forwarded.
	const { email } = await fetchMessage(session, ref, {
		...DEFAULT_POLICY,
		mimeTypes: [],
		includeInline: false,
	});
	const attachments: OutgoingAttachment[] = email.attachments
		.filter((attachment) => !attachment.inline)
		.map((attachment) => ({
			filename: attachment.filename,
			contentType: attachment.contentType,
			open: () => download(session, ref, attachment.id),
		}));
	return referenceFromEmail({ ...email, locator }, attachments);
}

/** The locator as a message ref, refused when it points at another server than the credential's. */
export function imapRefOn(session: ImapSession, locator: string): ParsedLocator {
	let parsed;
	try {
		parsed = parseLocator(locator.trim());
	} catch (error) {
		throw new MailIntelError(`Original Message: ${(error as Error).message}`, {
			source: 'config',
			code: 'INVALID_LOCATOR',
			field: 'originalMessage',
			hint: 'Use the locator of an item from the Email Intel IMAP Trigger ({{ $json.locator }}).',
		});
	}
	return onServer(session, parsed);
}

/** Refuses a ref (parsed from a locator) that points at another server than the credential's. */
export function onServer<T extends ParsedLocator>(session: ImapSession, parsed: T): T {
	const { host, port } = session.settings;
	if (parsed.provider !== 'imap' || parsed.host !== host || parsed.port !== port)
		throw new MailIntelError(
			`the original message (${parsed.provider}, ${parsed.host ?? '?'}:${parsed.port ?? '?'}) is not on this credential's IMAP server (${host}:${port})`,
			{
				source: 'config',
				code: 'LOCATOR_OTHER_ACCOUNT',
				field: 'originalMessage',
				hint: 'Use the credential of the account that received the message.',
			},
		);
	return parsed;
}
