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
	...optionsCollection(1),
	...optionsCollection(2),
];

/**
 * Version 1 emits one execution per poll of up to Max Items per Poll (100). Version 2 emits a
 * backlog at full speed in executions of Max Items per Execution (100) each, up to Max Items per
 * Poll (10,000), and lets a message that keeps failing through after Failed Polls Before Emitting.
 */
function optionsCollection(version: 1 | 2): INodeProperties[] {
	return [
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add option',
			default: {},
			displayOptions: { show: { '@version': [version] } },
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
				...batchOptions(version),
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
					description:
						'Only emails whose To header contains this text (server-side IMAP SEARCH TO)',
				},
			],
		},
	];
}

function batchOptions(version: 1 | 2): INodeProperties[] {
	if (version === 1)
		return [
			{
				displayName: 'Max Items per Poll',
				name: 'maxItemsPerPoll',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 100,
				description:
					'Emails emitted by one poll across all mailboxes; the rest follows at the next poll, in order',
			},
		];
	return [
		{
			displayName: 'Max Items per Poll',
			name: 'maxItemsPerPoll',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 10000,
			description:
				'Emails one poll hands on at most across all mailboxes, in executions of Max Items per Execution; the rest follows at the next poll, in order',
		},
		{
			displayName: 'Max Items per Execution',
			name: 'maxItemsPerExecution',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 100,
			description:
				'Emails in one workflow execution at most. A backlog (a first import, mail that piled up) is handed on in executions of this size, one after the other, without waiting for the next poll.',
		},
		{
			displayName: 'Failed Polls Before Emitting',
			name: 'retryBudget',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 5,
			description:
				'A message that fails on this many polls in a row (a server that cuts its download, an attachment that cannot be stored) is emitted anyway, with the failure recorded on the item (ingestError, or an attachment with skipped: "error"), so one message never blocks the mailbox',
		},
	];
}
