import type { FetchMessageObject, MessageEnvelopeObject } from 'imapflow';

import { parseHeaderDate, toUtcIso } from '../../mail/dates';
import { formatLocator } from '../../mail/locator';
import type { MessageSummary } from '../../mail/message-ref';
import type { EmailIdentity } from '../../mail/parse';
import { normalizeMessageId } from './cursor';
import type { ImapSettings } from './settings';

/** What a FETCH of UID, INTERNALDATE, size and flags (and maybe Message-ID/Date) says about a message. */
export function summarize(
	account: string,
	mailbox: string,
	uidValidity: string,
	message: FetchMessageObject,
): MessageSummary {
	const internal = message.internalDate ? new Date(message.internalDate) : undefined;
	const identity = message.headers
		? identityFromHeaders(message.headers)
		: message.envelope
			? identityFromEnvelope(message.envelope)
			: {};
	return {
		provider: 'imap',
		account,
		mailbox,
		id: `${uidValidity}:${message.uid}`,
		uid: message.uid,
		uidValidity,
		...identity,
		...(internal && !Number.isNaN(internal.getTime()) ? { receivedAt: toUtcIso(internal) } : {}),
		...(message.size === undefined ? {} : { size: message.size }),
		flags: [...(message.flags ?? [])],
	};
}

/** The identity the parser gives the normalized item: where the message lives and what the server says of it. */
export function emailIdentity(settings: ImapSettings, summary: MessageSummary): EmailIdentity {
	return {
		provider: 'imap',
		account: settings.user,
		mailbox: summary.mailbox,
		id: summary.id,
		locator: formatLocator(summary, { host: settings.host, port: settings.port }),
		uid: summary.uid,
		uidValidity: summary.uidValidity,
		...(summary.size === undefined ? {} : { size: summary.size }),
		flags: summary.flags ?? [],
		...(summary.receivedAt ? { receivedAt: summary.receivedAt } : {}),
	};
}

/**
 * Message-ID and Date from raw header lines, normalized as the parsed email's are (see
 * emittedKeyOfEmail). Line by line, no regex over the whole block: the header is attacker text.
 */
function identityFromHeaders(headers: Buffer): { messageId?: string; date?: string } {
	const fields = new Map<string, string>();
	let current: string | undefined;
	for (const line of headers.toString('latin1').split(/\r?\n/)) {
		if ((line.startsWith(' ') || line.startsWith('\t')) && current) {
			fields.set(current, `${fields.get(current)} ${line.trim()}`);
			continue;
		}
		const colon = line.indexOf(':');
		current = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : undefined;
		if (current && !fields.has(current)) fields.set(current, line.slice(colon + 1).trim());
		else current = undefined;
	}
	const messageId = normalizeMessageId(fields.get('message-id'));
	const date = parseHeaderDate(fields.get('date'));
	return { ...(messageId ? { messageId } : {}), ...(date ? { date } : {}) };
}

function identityFromEnvelope(envelope: MessageEnvelopeObject): {
	messageId?: string;
	date?: string;
} {
	const messageId = normalizeMessageId(envelope.messageId);
	const date =
		envelope.date && !Number.isNaN(new Date(envelope.date).getTime())
			? toUtcIso(new Date(envelope.date))
			: undefined;
	return { ...(messageId ? { messageId } : {}), ...(date ? { date } : {}) };
}
