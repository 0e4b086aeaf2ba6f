import type {
	FetchMessageObject,
	ImapFlow,
	MessageAddressObject,
	MessageStructureObject,
} from 'imapflow';

import { toUtcIso } from '../../mail/dates';
import { formatLocator } from '../../mail/locator';
import type { EmailAddress } from '../../mail/types';
import { normalizeMessageId } from './cursor';
import { isListingAnswer } from './listing-answer';
import type { ImapSession } from './session';

/**
 * A light view of one message, from one FETCH of metadata (no body): what a listing or a
 * Message-ID lookup returns. `locator` addresses it for every other operation.
 */
export interface MessageEntry {
	provider: 'imap';
	account: string;
	mailbox: string;
	/** `${uidValidity}:${uid}`, as the triggers' `id`. */
	id: string;
	locator: string;
	uid: number;
	uidValidity: string;
	/** ISO-8601 UTC: the Date header, else the server's received time. */
	date?: string;
	receivedAt?: string;
	size?: number;
	subject: string;
	from?: EmailAddress;
	to: EmailAddress[];
	messageId?: string;
	flags: string[];
	/** A part declared as an attachment (or a named non-text part, or an attached message) exists. */
	hasAttachments: boolean;
}

/** ENVELOPE and BODYSTRUCTURE are parsed by the server once and cached: cheap to ask for. */
const ENTRY_QUERY = {
	uid: true,
	flags: true,
	internalDate: true,
	size: true,
	envelope: true,
	bodyStructure: true,
} as const;

/**
 * Fetches entries of the selected mailbox: `range` is a UID set (`byUid`) or a sequence range.
 * Returned newest first (highest UID first).
 */
export async function fetchEntries(
	session: ImapSession,
	client: ImapFlow,
	range: string,
	byUid: boolean,
): Promise<MessageEntry[]> {
	const box = client.mailbox;
	if (!box || !range) return [];
	const uidValidity = String(box.uidValidity);
	const entries: MessageEntry[] = [];
	for await (const message of client.fetch(range, ENTRY_QUERY, { uid: byUid }))
		if (isListingAnswer(message)) entries.push(toEntry(session, box.path, uidValidity, message));
	return entries.sort((a, b) => b.uid - a.uid);
}

function toEntry(
	session: ImapSession,
	mailbox: string,
	uidValidity: string,
	message: FetchMessageObject,
): MessageEntry {
	const envelope = message.envelope;
	const receivedAt = validIso(message.internalDate);
	const date = validIso(envelope?.date) ?? receivedAt;
	const messageId = normalizeMessageId(envelope?.messageId);
	const from = address(envelope?.from?.[0]);
	const ref = {
		provider: 'imap' as const,
		account: session.account,
		mailbox,
		id: `${uidValidity}:${message.uid}`,
		uid: message.uid,
		uidValidity,
	};
	return {
		...ref,
		locator: formatLocator(ref, { host: session.settings.host, port: session.settings.port }),
		...(date ? { date } : {}),
		...(receivedAt ? { receivedAt } : {}),
		...(message.size === undefined ? {} : { size: message.size }),
		subject: envelope?.subject ?? '',
		...(from ? { from } : {}),
		to: (envelope?.to ?? []).map(address).filter((entry): entry is EmailAddress => !!entry),
		...(messageId ? { messageId } : {}),
		// \\Recent is per session (RFC 3501 §2.3.2), not a property of the message.
		flags: [...(message.flags ?? [])].filter((flag) => flag !== '\\Recent'),
		hasAttachments: message.bodyStructure ? hasAttachment(message.bodyStructure) : false,
	};
}

function validIso(value: Date | string | undefined): string | undefined {
	if (value === undefined) return undefined;
	const date = new Date(value);
	return Number.isNaN(date.getTime()) ? undefined : toUtcIso(date);
}

function address(value: MessageAddressObject | undefined): EmailAddress | undefined {
	if (!value || (!value.address && !value.name)) return undefined;
	return { name: value.name ?? '', address: value.address ?? '' };
}

/**
 * What mail clients show as a paper clip: a part declared `attachment`, an attached message,
 * or a named part that is not an inline body text. Iterative: a hostile structure may nest deep.
 */
export function hasAttachment(root: MessageStructureObject): boolean {
	const stack = [root];
	while (stack.length) {
		const node = stack.pop()!;
		if (node.childNodes?.length) {
			stack.push(...node.childNodes);
			continue;
		}
		const type = node.type?.toLowerCase() ?? '';
		if (node.disposition?.toLowerCase() === 'attachment') return true;
		if (type === 'message/rfc822' && node !== root) return true;
		const named = node.dispositionParameters?.filename ?? node.parameters?.name;
		if (named && node.disposition?.toLowerCase() !== 'inline' && !type.startsWith('text/'))
			return true;
	}
	return false;
}
