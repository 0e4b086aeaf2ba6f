import type { INodeProperties } from 'n8n-workflow';

import { attachmentOptions, includeRawOption } from '../shared/attachment-options';

/**
 * The parameters of both Gmail triggers (polling, and push: nodes/EmailIntelGmailPushTrigger).
 * Option names are read in parameters.ts; keep the two in step.
 */
export const authenticationProperty: INodeProperties = {
	displayName: 'Authentication',
	name: 'authentication',
	type: 'options',
	options: [
		{ name: 'OAuth2 (Sign in with Google)', value: 'oAuth2' },
		{ name: 'Token JSON or Service Account', value: 'googleApi' },
	],
	default: 'oAuth2',
};

export const labelsProperty: INodeProperties = {
	displayName: 'Label IDs',
	name: 'labels',
	type: 'string',
	default: 'INBOX',
	placeholder: 'INBOX, Label_123',
	description:
		'Label IDs to watch, separated by commas: system labels (INBOX, SPAM, CATEGORY_UPDATES) or user label IDs (Label_…). A message carrying several is emitted once. Empty: all mail except drafts.',
};

/** Options of both triggers: what is imported, how it is built, how downloads run. */
export const ingestOptions: INodeProperties[] = [
	{
		displayName: 'Relative Import Start Date',
		name: 'relativeImportStartDate',
		type: 'string',
		default: 'P30D',
		placeholder: 'P30D',
		description:
			'ISO-8601 duration. On the first run (and when Gmail has expired the stored history ID) only mail received within this period is imported, e.g. P30D = 30 days, PT12H = 12 hours.',
	},
	{
		displayName: 'Search Query',
		name: 'query',
		type: 'string',
		default: '',
		placeholder: 'has:attachment -from:noreply@example.com',
		description:
			'Gmail search terms that narrow the first import (and a re-import after an expired history ID). Later polls read the history of the watched labels.',
	},
	...attachmentOptions,
	includeRawOption,
	{
		displayName: 'Failed Polls Before Emitting',
		name: 'retryBudget',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 5,
		description:
			'A message that fails on this many polls in a row is emitted anyway, with the failure recorded on the item (ingestError, or an attachment with skipped: "error"), so one message never blocks the mailbox',
	},
	{
		displayName: 'Parallel Downloads',
		name: 'concurrency',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10 },
		default: 10,
		description: 'Messages downloaded at once (format=raw)',
	},
];

/** Options of the polling trigger only. */
const pollOptions: INodeProperties[] = [
	{
		displayName: 'Max Items per Poll',
		name: 'maxItemsPerPoll',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 1000,
		description:
			"Emails one poll hands on at most (each download costs 5 of Gmail's 15,000 quota units per user per minute); the rest follows at the next poll, in order",
	},
	{
		displayName: 'Max Items per Execution',
		name: 'maxItemsPerExecution',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 100,
		description:
			'Emails in one workflow execution at most. A backlog is handed on in executions of this size, one after the other, without waiting for the next poll.',
	},
];

export const triggerProperties: INodeProperties[] = [
	authenticationProperty,
	labelsProperty,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [...ingestOptions, ...pollOptions],
	},
];
