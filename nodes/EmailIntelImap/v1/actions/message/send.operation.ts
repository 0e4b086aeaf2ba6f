import {
	NodeOperationError,
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import type { NormalizedEmail } from '../../../../../lib/mail/types';
import { ImapSession } from '../../../../../lib/providers/imap/session';
import {
	parseAddress,
	splitAddressList,
	type ComposeInput,
	type OutgoingAttachment,
	type ReferenceMessage,
	type SendAction,
} from '../../../../../lib/smtp/compose';
import { loadReference, referenceFromEmail } from '../../../../../lib/smtp/reference';
import { sendEmail } from '../../../../../lib/smtp/send';
import { imapSettingsFrom } from '../../../../shared/imap-credential';
import { smtpSettingsFrom } from '../../../../shared/smtp-settings';

const CREDENTIAL_NAME = 'emailIntelImapApi';
const SHOW = { resource: ['message'], operation: ['send'] };
const REFERRING: SendAction[] = ['reply', 'replyAll', 'forward'];

const properties: INodeProperties[] = [
	{
		displayName: 'Type',
		name: 'sendType',
		type: 'options',
		options: [
			{ name: 'New Message', value: 'send', description: 'Send a new message' },
			{
				name: 'Reply',
				value: 'reply',
				description: 'Reply to the sender of the original (threaded, original marked \\Answered)',
			},
			{
				name: 'Reply All',
				value: 'replyAll',
				description: 'Reply to the sender and every other recipient of the original, except you',
			},
			{
				name: 'Forward',
				value: 'forward',
				description: 'Forward the original with its attachments (original marked $Forwarded)',
			},
		],
		default: 'send',
	},
	{
		displayName: 'Original Message',
		name: 'originalMessage',
		type: 'string',
		default: '={{ $json.locator }}',
		required: true,
		placeholder: 'imap://alice%40example.com@imap.example.com:993/INBOX;UIDVALIDITY=1/;UID=42',
		description:
			"The locator of the message to reply to or forward, from an Email Intel trigger's item. When the input item is that message, its fields and attachment binaries are used; otherwise it is read from the IMAP server.",
		displayOptions: { show: { sendType: REFERRING } },
	},
	{
		displayName: 'To',
		name: 'to',
		type: 'string',
		default: '',
		placeholder: 'analyst@example.com, Jane Doe <jane@example.com>',
		description:
			'Recipients, separated by commas. For a reply, added to those taken from the original.',
	},
	{
		displayName: 'Subject',
		name: 'subject',
		type: 'string',
		default: '',
		description: 'For a reply or forward, leave empty for "Re: ..." / "Fwd: ..." of the original',
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 5 },
		default: '',
		description: 'Plain-text body',
	},
	{
		displayName: 'HTML',
		name: 'html',
		type: 'string',
		typeOptions: { rows: 5 },
		default: '',
		description: 'HTML body (optional; sent as an alternative to the text)',
	},
	{
		displayName: 'Attachments',
		name: 'attachments',
		type: 'string',
		default: '',
		placeholder: 'data, attachment_0',
		description:
			'Names of the input binary fields to attach, separated by commas; each is streamed into the message',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Bcc',
				name: 'bcc',
				type: 'string',
				default: '',
				description: 'Hidden recipients, separated by commas (never written into the message)',
			},
			{
				displayName: 'Cc',
				name: 'cc',
				type: 'string',
				default: '',
				description: 'Copy recipients, separated by commas',
			},
			{
				displayName: 'Forward Attachments',
				name: 'forwardAttachments',
				type: 'boolean',
				default: true,
				description: "Whether a forward carries the original's attachments",
			},
			{
				displayName: 'From Email',
				name: 'fromEmail',
				type: 'string',
				default: '',
				placeholder: 'Same as SMTP User',
				description: 'Sender address; the server may refuse one the login may not use',
			},
			{
				displayName: 'From Name',
				name: 'fromName',
				type: 'string',
				default: '',
			},
			{
				displayName: 'Mark Original',
				name: 'markOriginal',
				type: 'boolean',
				default: true,
				description:
					'Whether to set \\Answered (reply) or $Forwarded (forward) on the original, as a mail client does',
			},
			{
				displayName: 'Max Message Size (MB)',
				name: 'maxMessageSizeMb',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 25,
				description:
					'Larger messages are refused before sending (attachments grow by a third in base64)',
			},
			{
				displayName: 'Quote Original',
				name: 'quoteOriginal',
				type: 'boolean',
				default: true,
				description: 'Whether a reply quotes the original below your text',
			},
			{
				displayName: 'Reply-To',
				name: 'replyTo',
				type: 'string',
				default: '',
				description: 'Where replies to this message should go, separated by commas',
			},
			{
				displayName: 'Save to Sent',
				name: 'saveToSent',
				type: 'boolean',
				default: true,
				description:
					'Whether to store a copy in the Sent mailbox (found by its \\Sent SPECIAL-USE mark; skipped on Gmail, which files it itself)',
			},
			{
				displayName: 'Sent Mailbox',
				name: 'sentMailbox',
				type: 'string',
				default: '',
				placeholder: 'Sent',
				description: 'Leave empty for the mailbox the server marks \\Sent',
			},
		],
	},
];

export const description: INodeProperties[] = properties.map((property) => ({
	...property,
	displayOptions: {
		...property.displayOptions,
		show: { ...SHOW, ...property.displayOptions?.show },
	},
}));

interface SendOptionValues {
	bcc?: string;
	cc?: string;
	forwardAttachments?: boolean;
	fromEmail?: string;
	fromName?: string;
	markOriginal?: boolean;
	maxMessageSizeMb?: number;
	quoteOriginal?: boolean;
	replyTo?: string;
	saveToSent?: boolean;
	sentMailbox?: string;
}

/** Sends one item's message: the router owns the item loop, continueOnFail and error mapping. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const credentials = await this.getCredentials(CREDENTIAL_NAME);
	const imapSettings = imapSettingsFrom(credentials);
	const smtp = smtpSettingsFrom(credentials, imapSettings);
	const action = this.getNodeParameter('sendType', i) as SendAction;
	const options = this.getNodeParameter('options', i, {}) as SendOptionValues;
	const session = new ImapSession(imapSettings);
	try {
		const reference = REFERRING.includes(action)
			? await referenceFor(this, i, session, String(this.getNodeParameter('originalMessage', i)))
			: undefined;
		const fromAddress = (options.fromEmail ?? '').trim() || smtp.user;
		const from = parseAddress(fromAddress, 'fromEmail');
		const input: ComposeInput = {
			action,
			from: { name: (options.fromName ?? '').trim(), address: from.address },
			to: splitAddressList(this.getNodeParameter('to', i, '') as string),
			cc: splitAddressList(options.cc ?? ''),
			bcc: splitAddressList(options.bcc ?? ''),
			...(options.replyTo ? { replyTo: splitAddressList(options.replyTo) } : {}),
			subject: this.getNodeParameter('subject', i, '') as string,
			text: this.getNodeParameter('text', i, '') as string,
			html: this.getNodeParameter('html', i, '') as string,
			attachments: binaryAttachments(
				this,
				i,
				this.getNodeParameter('attachments', i, '') as string,
			),
			...(reference ? { reference } : {}),
			self: [smtp.user, imapSettings.user, from.address],
			quoteOriginal: options.quoteOriginal !== false,
			forwardAttachments: options.forwardAttachments !== false,
		};
		const result = await sendEmail(input, {
			smtp,
			imap: session,
			saveToSent: options.saveToSent !== false,
			...(options.sentMailbox?.trim() ? { sentMailbox: options.sentMailbox.trim() } : {}),
			markOriginal: options.markOriginal !== false,
			maxMessageBytes: Math.max(1, options.maxMessageSizeMb ?? 25) * 1024 * 1024,
		});
		return [{ json: result as unknown as IDataObject, pairedItem: { item: i } }];
	} finally {
		await session.close();
	}
}

/**
 * The original: the input item itself when it is that message (a trigger's item: its JSON and
 * its attachment binaries), else read by locator from the IMAP server.
 */
async function referenceFor(
	context: IExecuteFunctions,
	i: number,
	session: ImapSession,
	locator: string,
): Promise<ReferenceMessage> {
	const item = context.getInputData()[i];
	const json = item?.json as unknown as Partial<NormalizedEmail> | undefined;
	if (json?.locator && json.locator === locator.trim() && Array.isArray(json.references)) {
		const attachments = (json.attachments ?? [])
			.filter((attachment) => attachment.binaryProperty && !attachment.inline)
			.filter((attachment) => item.binary?.[attachment.binaryProperty as string])
			.map((attachment) =>
				binaryAttachment(context, i, attachment.binaryProperty as string, attachment.contentType),
			);
		return referenceFromEmail(json as NormalizedEmail, attachments);
	}
	return loadReference(session, locator);
}

function binaryAttachments(
	context: IExecuteFunctions,
	i: number,
	names: string,
): OutgoingAttachment[] {
	return names
		.split(',')
		.map((name) => name.trim())
		.filter((name) => name !== '')
		.map((name) => binaryAttachment(context, i, name));
}

/** One binary field as an attachment, streamed from n8n's binary store when it lives there. */
function binaryAttachment(
	context: IExecuteFunctions,
	i: number,
	property: string,
	declaredType?: string,
): OutgoingAttachment {
	let binary: IBinaryData;
	try {
		binary = context.helpers.assertBinaryData(i, property);
	} catch {
		throw new NodeOperationError(
			context.getNode(),
			`the input item has no binary field "${property}" (Attachments)`,
			{
				itemIndex: i,
				description:
					'Name binary fields that the input item has (see its Binary tab), separated by commas.',
			},
		);
	}
	return {
		filename: binary.fileName || property,
		contentType: declaredType || binary.mimeType || 'application/octet-stream',
		open: async () =>
			binary.id
				? context.helpers.getBinaryStream(binary.id)
				: context.helpers.getBinaryDataBuffer(i, property),
	};
}
