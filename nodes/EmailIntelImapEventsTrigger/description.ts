import type { INodeProperties } from 'n8n-workflow';

import { attachmentOptions, includeRawOption } from '../shared/attachment-options';

export const EVENT_TYPES = ['messageNew', 'messageUpdated', 'messageDeleted'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The events trigger's parameters. Names are read in parameters.ts; keep the two in step. */
export const eventsTriggerProperties: INodeProperties[] = [
	{
		displayName: 'Mailboxes',
		name: 'mailboxes',
		type: 'string',
		default: 'INBOX',
		placeholder: 'INBOX, Phishing Reports',
		required: true,
		description:
			'Mailboxes (folders) to watch, separated by commas or new lines; each gets its own IDLE connection. Use the server\'s folder separator for sub-folders, e.g. "INBOX/Reports".',
	},
	{
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		default: ['messageNew', 'messageUpdated', 'messageDeleted'],
		required: true,
		options: [
			{
				name: 'Message Deleted',
				value: 'messageDeleted',
				description: 'A message was expunged (deleted or moved away); the item carries its UID',
			},
			{
				name: 'Message Flags Changed',
				value: 'messageUpdated',
				description: 'Flags or keywords of a message changed (e.g. read, flagged, $Phishing)',
			},
			{
				name: 'New Message',
				value: 'messageNew',
				description: 'A message arrived: the normalized email, attachments as binary data',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			...attachmentOptions,
			includeRawOption,
			{
				displayName: 'Max Items per Execution',
				name: 'maxItemsPerExecution',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 100,
				description:
					'New messages handed on in one workflow execution at most; more (mail that arrived while disconnected) follow in further executions, in order',
			},
		],
	},
];
