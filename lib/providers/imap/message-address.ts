import { MailIntelError } from '../../errors';
import { parseLocator } from '../../mail/locator';
import type { MessageRef } from '../../mail/message-ref';
import type { ImapSettings } from './settings';

/** How an action names its message: an item's `locator`, or a mailbox and a UID. */
export type MessageAddress = { locator: string } | { mailbox: string; uid: number };

/**
 * The ref an action works on. A locator must name this credential's server and user: a
 * locator from another account is refused, never applied to whatever has that UID here.
 * A mailbox + UID has no UIDVALIDITY, so it is taken as the mailbox is now.
 */
export function imapMessageRef(settings: ImapSettings, address: MessageAddress): MessageRef {
	if ('locator' in address) {
		const text = (address.locator ?? '').trim();
		let parsed;
		try {
			parsed = parseLocator(text);
		} catch (error) {
			throw new MailIntelError((error as Error).message, {
				source: 'config',
				code: 'INVALID_PARAMETER',
				field: 'locator',
				hint: 'Map the locator field of an item from an Email Intel trigger or Message: List, e.g. {{ $json.locator }}.',
			});
		}
		if (parsed.provider !== 'imap')
			throw new MailIntelError(`the locator "${text}" is a ${parsed.provider} message, not IMAP`, {
				source: 'config',
				code: 'INVALID_PARAMETER',
				field: 'locator',
				hint: 'Use the node of that provider for this item, or an IMAP item here.',
			});
		const sameServer =
			parsed.host?.toLowerCase() === settings.host.toLowerCase() &&
			parsed.port === settings.port &&
			parsed.account === settings.user;
		if (!sameServer)
			throw new MailIntelError(
				`the locator names ${parsed.account} on ${parsed.host}:${parsed.port}, but the credential logs in as ${settings.user} on ${settings.host}:${settings.port}`,
				{
					source: 'config',
					code: 'LOCATOR_ACCOUNT_MISMATCH',
					field: 'locator',
					hint: 'Choose the Email Intel IMAP credential of the account the item came from.',
				},
			);
		return {
			provider: 'imap',
			account: parsed.account,
			mailbox: parsed.mailbox,
			id: parsed.id,
			uid: parsed.uid,
			uidValidity: parsed.uidValidity,
		};
	}
	const mailbox = (address.mailbox ?? '').trim();
	if (!mailbox)
		throw new MailIntelError('no mailbox given', {
			source: 'config',
			code: 'INVALID_PARAMETER',
			field: 'mailbox',
			hint: 'Enter the mailbox path, e.g. INBOX.',
		});
	if (!Number.isInteger(address.uid) || address.uid < 1)
		throw new MailIntelError(`"${address.uid}" is not a UID`, {
			source: 'config',
			code: 'INVALID_PARAMETER',
			field: 'uid',
			hint: 'Enter the message UID (a whole number, the uid field of an item).',
		});
	return {
		provider: 'imap',
		account: settings.user,
		mailbox,
		id: String(address.uid),
		uid: address.uid,
	};
}
