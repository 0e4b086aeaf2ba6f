import type { IExecuteFunctions, IDataObject, INodeProperties } from 'n8n-workflow';

import { formatLocator } from '../../../../../lib/mail/locator';
import type { MessageRef } from '../../../../../lib/mail/message-ref';
import { imapMessageRef } from '../../../../../lib/providers/imap/message-address';
import type { ImapSession } from '../../../../../lib/providers/imap/session';

/**
 * How an operation names its message: the `locator` of an item from an Email Intel trigger or
 * Message: List (default), or a mailbox and a UID.
 */
export const addressFields: INodeProperties[] = [
	{
		displayName: 'Message By',
		name: 'addressBy',
		type: 'options',
		options: [
			{
				name: 'Locator',
				value: 'locator',
				description: 'The locator field of an item from an Email Intel trigger or Message: List',
			},
			{ name: 'Mailbox and UID', value: 'mailboxUid' },
		],
		default: 'locator',
	},
	{
		displayName: 'Locator',
		name: 'locator',
		type: 'string',
		default: '={{ $json.locator }}',
		required: true,
		placeholder: 'imap://alice@imap.example.com:993/INBOX;UIDVALIDITY=1/;UID=42',
		description:
			'Addresses one message; refused when the mailbox was rebuilt since (UIDVALIDITY) or the credential is another account',
		displayOptions: { show: { addressBy: ['locator'] } },
	},
	{
		displayName: 'Mailbox',
		name: 'mailbox',
		type: 'string',
		default: 'INBOX',
		required: true,
		displayOptions: { show: { addressBy: ['mailboxUid'] } },
	},
	{
		displayName: 'UID',
		name: 'uid',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 1,
		required: true,
		description: 'The UID of the message in that mailbox (the uid field of an item)',
		displayOptions: { show: { addressBy: ['mailboxUid'] } },
	},
];

/**
 * The ref of the item's message. A mailbox + UID gets the mailbox's current UIDVALIDITY (one
 * STATUS), so every output carries a locator, as for a message addressed by locator.
 */
export async function messageRef(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<MessageRef> {
	const by = this.getNodeParameter('addressBy', itemIndex, 'locator') as string;
	if (by !== 'mailboxUid')
		return imapMessageRef(session.settings, {
			locator: this.getNodeParameter('locator', itemIndex) as string,
		});
	const ref = imapMessageRef(session.settings, {
		mailbox: this.getNodeParameter('mailbox', itemIndex) as string,
		uid: this.getNodeParameter('uid', itemIndex) as number,
	});
	const { uidValidity } = await session.status(ref.mailbox);
	return { ...ref, uidValidity, id: `${uidValidity}:${ref.uid}` };
}

/** A ref as output JSON: its locator when it has a UIDVALIDITY (one from a locator or a COPYUID). */
export function refJson(session: ImapSession, ref: MessageRef): IDataObject {
	const locator =
		ref.uid !== undefined && ref.uidValidity !== undefined
			? formatLocator(ref, { host: session.settings.host, port: session.settings.port })
			: undefined;
	return {
		mailbox: ref.mailbox,
		...(ref.uid === undefined ? {} : { uid: ref.uid }),
		...(ref.uidValidity === undefined ? {} : { uidValidity: ref.uidValidity }),
		...(locator ? { locator } : {}),
	};
}
