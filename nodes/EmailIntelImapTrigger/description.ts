import type { INodeProperties } from 'n8n-workflow';

import { attachmentOptions, includeRawOption } from '../shared/attachment-options';

/** The trigger's parameters. Option names are read in parameters.ts; keep the two in step. */
export const triggerProperties: INodeProperties[] = [
	{
		displayName: 'Mailboxes',
		name: 'mailboxes',
		type: 'string',
		default: 'INBOX',
		placeholder: 'INBOX, Phishing Reports',
		required: true,
		description:
			'Mailboxes (folders) to watch, separated by commas or new lines. Use the server\'s folder separator for sub-folders, e.g. "INBOX/Reports" or "INBOX.Reports".',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Relative Import Start Date',
				name: 'relativeImportStartDate',
				type: 'string',
				default: 'P30D',
				placeholder: 'P30D',
				description:
					'ISO-8601 duration. On the first run (and when the server resets a mailbox) only mail received within this period is imported, e.g. P30D = 30 days, PT12H = 12 hours.',
			},
			...attachmentOptions,
			includeRawOption,
			{
				displayName: 'Max Items per Poll',
				name: 'maxItemsPerPoll',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 100,
				description:
					'Emails emitted by one poll across all mailboxes; the rest follows at the next poll, in order',
			},
			{
				displayName: 'From Contains',
				name: 'fromContains',
				type: 'string',
				default: '',
				description:
					'Only emails whose From header contains this text (server-side IMAP SEARCH FROM)',
			},
			{
				displayName: 'Subject Contains',
				name: 'subjectContains',
				type: 'string',
				default: '',
				description:
					'Only emails whose subject contains this text (server-side IMAP SEARCH SUBJECT)',
			},
			{
				displayName: 'To Contains',
				name: 'toContains',
				type: 'string',
				default: '',
				description: 'Only emails whose To header contains this text (server-side IMAP SEARCH TO)',
			},
		],
	},
];
