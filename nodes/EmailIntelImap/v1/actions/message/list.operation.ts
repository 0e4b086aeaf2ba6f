import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { MailIntelError } from '../../../../../lib/errors';
import { listMessages } from '../../../../../lib/providers/imap/listing';
import type { MessageSearch } from '../../../../../lib/providers/imap/search';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';

const properties: INodeProperties[] = [
	{
		displayName: 'Mailbox',
		name: 'mailbox',
		type: 'string',
		default: 'INBOX',
		required: true,
	},
	{
		displayName: 'Page',
		name: 'page',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description: 'Page to return; 0 holds the newest messages',
	},
	{
		displayName: 'Page Size',
		name: 'pageSize',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 1000 },
		default: 50,
		description: 'Messages per page (at most 1,000)',
	},
	{
		displayName: 'Snapshot',
		name: 'snapshot',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'For pages after the first: the snapshot value page 0 returned. New mail then cannot shift the pages (nothing repeats, nothing is skipped). 0 starts a new listing.',
	},
	{
		displayName: 'Search',
		name: 'search',
		type: 'collection',
		placeholder: 'Add Criterion',
		default: {},
		description: 'Only messages matching every criterion (IMAP SEARCH)',
		options: [
			{
				displayName: 'Before',
				name: 'before',
				type: 'dateTime',
				default: '',
				description: 'Received before this day',
			},
			{
				displayName: 'Flagged Only',
				name: 'flagged',
				type: 'boolean',
				default: false,
				description: 'Whether to return only flagged messages',
			},
			{ displayName: 'From Contains', name: 'from', type: 'string', default: '' },
			{
				displayName: 'Gmail Search',
				name: 'gmailRaw',
				type: 'string',
				default: '',
				placeholder: 'has:attachment newer_than:7d',
				description: "Gmail's own search syntax (X-GM-RAW); only on Gmail",
			},
			{
				displayName: 'Header Name',
				name: 'headerName',
				type: 'string',
				default: '',
				placeholder: 'X-Spam-Flag',
			},
			{
				displayName: 'Header Contains',
				name: 'headerValue',
				type: 'string',
				default: '',
				description: 'Text the header named in Header Name contains',
			},
			{
				displayName: 'Message-ID',
				name: 'messageId',
				type: 'string',
				default: '',
				placeholder: '<abc123@example.com>',
			},
			{
				displayName: 'Since',
				name: 'since',
				type: 'dateTime',
				default: '',
				description: 'Received on or after this day',
			},
			{ displayName: 'Subject Contains', name: 'subject', type: 'string', default: '' },
			{
				displayName: 'Text Contains',
				name: 'text',
				type: 'string',
				default: '',
				description: 'Text anywhere in the headers or body',
			},
			{ displayName: 'To Contains', name: 'to', type: 'string', default: '' },
			{
				displayName: 'Unseen Only',
				name: 'unseen',
				type: 'boolean',
				default: false,
				description: 'Whether to return only unread messages',
			},
		],
	},
];

export const description = showFor(
	{ show: { resource: ['message'], operation: ['list'] } },
	properties,
);

interface SearchValues {
	from?: string;
	to?: string;
	subject?: string;
	since?: string;
	before?: string;
	unseen?: boolean;
	flagged?: boolean;
	text?: string;
	headerName?: string;
	headerValue?: string;
	messageId?: string;
	gmailRaw?: string;
}

function searchFrom(values: SearchValues): MessageSearch {
	const text = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);
	const day = (value: string | undefined, field: string) => {
		if (!value) return undefined;
		const date = new Date(value);
		if (Number.isNaN(date.getTime()))
			throw new MailIntelError(`"${value}" is not a date`, {
				source: 'config',
				code: 'INVALID_PARAMETER',
				field,
				hint: 'Pick a date, or write an ISO-8601 date such as 2026-11-30.',
			});
		return date;
	};
	const headerName = text(values.headerName);
	return {
		from: text(values.from),
		to: text(values.to),
		subject: text(values.subject),
		since: day(values.since, 'since'),
		before: day(values.before, 'before'),
		unseen: values.unseen === true,
		flagged: values.flagged === true,
		text: text(values.text),
		messageId: text(values.messageId),
		gmailRaw: text(values.gmailRaw),
		...(headerName ? { headers: { [headerName]: values.headerValue ?? '' } } : {}),
	};
}

/** One item per page: `page`, `pages`, `total`, `snapshot` and the light `messages`. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const snapshot = this.getNodeParameter('snapshot', itemIndex, 0) as number;
	const page = await listMessages(
		session,
		(this.getNodeParameter('mailbox', itemIndex) as string).trim(),
		{
			page: this.getNodeParameter('page', itemIndex, 0) as number,
			pageSize: this.getNodeParameter('pageSize', itemIndex, 50) as number,
			...(snapshot > 0 ? { snapshot } : {}),
			search: searchFrom(this.getNodeParameter('search', itemIndex, {}) as SearchValues),
		},
	);
	return [{ json: { ...page, messages: page.messages.map((entry) => ({ ...entry })) } }];
}
