import { MailIntelError } from '../../errors';
import { parseLocator, type ParsedLocator } from '../../mail/locator';

/**
 * A dsx-connect `location` names one attachment of one message, so that the core can hand it
 * back to the connector's `read_file` and `item_action`. It is the item's `locator` plus the
 * attachment's `id`:
 *
 *   imap://alice%40example.com@imap.example.com:993/INBOX;UIDVALIDITY=7/;UID=45/;SECTION=2
 *       (RFC 5092's own form for a body part: the IMAP attachment id is its MIME part path)
 *   graph://soc@contoso.com/messages/AAMkAG...%3D/attachments/AAMkAG...%3D
 *   gmail://me/messages/18c.../attachments/ANGjdJ...
 *
 * The attachment id is percent-encoded (Graph ids carry `=`, `/`, `+`). Everything of the
 * message part is the locator, so a location is never applied to another server or mailbox.
 */
export interface AttachmentLocation {
	message: ParsedLocator;
	/** The item's locator, as given. */
	locator: string;
	attachmentId: string;
}

const IMAP_SECTION = /^(imap:\/\/.+)\/;SECTION=([0-9]+(?:\.[0-9]+)*)$/;
const API_ATTACHMENT = /^((?:graph|gmail):\/\/[^/]+\/messages\/[^/]+)\/attachments\/([^/]+)$/;
/** Locations are short; a longer one is not ours (and is never run through a pattern). */
const MAX_LOCATION_LENGTH = 4096;

export function formatLocation(locator: string, attachmentId: string): string {
	const message = parseLocator(locator);
	if (!attachmentId) throw badLocation(locator, 'the attachment has no id');
	switch (message.provider) {
		case 'imap':
			if (!/^[0-9]+(\.[0-9]+)*$/.test(attachmentId))
				throw badLocation(locator, `"${attachmentId}" is not an IMAP part number`);
			return `${locator}/;SECTION=${attachmentId}`;
		case 'graph':
		case 'gmail':
			return `${locator}/attachments/${encodeURIComponent(attachmentId)}`;
		default:
			throw badLocation(locator, 'only imap://, graph:// and gmail:// messages can be read back');
	}
}

export function parseLocation(location: string): AttachmentLocation {
	if (typeof location !== 'string' || location.length > MAX_LOCATION_LENGTH)
		throw badLocation(String(location).slice(0, 80), 'not a location of this connector');
	const match = IMAP_SECTION.exec(location) ?? API_ATTACHMENT.exec(location);
	if (!match) throw badLocation(location, 'not a location of this connector');
	const [, locator, encodedId] = match;
	let message: ParsedLocator;
	let attachmentId: string;
	try {
		message = parseLocator(locator);
		attachmentId = decodeURIComponent(encodedId);
	} catch (error) {
		throw badLocation(location, (error as Error).message, error);
	}
	return { message, locator, attachmentId };
}

/** The message an input item's `locator` names, or an error saying what the item lacks. */
export function messageOfItem(locator: unknown): ParsedLocator {
	const hint =
		"Connect an email trigger of this pack (IMAP, Microsoft 365): its items carry the message's locator and attachments.";
	if (typeof locator !== 'string' || locator === '')
		throw new MailIntelError('the input item has no `locator`', {
			source: 'config',
			code: 'BAD_INPUT',
			field: 'locator',
			hint,
		});
	try {
		return parseLocator(locator);
	} catch (error) {
		throw new MailIntelError((error as Error).message, {
			source: 'config',
			code: 'BAD_INPUT',
			field: 'locator',
			hint,
			cause: error,
		});
	}
}

function badLocation(location: string, why: string, cause?: unknown): MailIntelError {
	return new MailIntelError(`"${location}" is not an attachment location: ${why}`, {
		source: 'dsx',
		code: 'BAD_LOCATION',
		field: 'location',
		hint: 'Locations are <locator>/;SECTION=<part> (IMAP) or <locator>/attachments/<id> (Graph, Gmail), as the Submit Scan Request operation builds them.',
		cause,
	});
}
