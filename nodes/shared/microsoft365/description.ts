import type { INodeProperties } from 'n8n-workflow';

import { attachmentOptions } from '../attachment-options';

/** Parameters both Microsoft 365 mail triggers share (webhook and polling), so they read alike. */
export const mailboxProperties: INodeProperties[] = [
	{
		displayName: 'Mailboxes',
		name: 'mailboxes',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		placeholder: 'soc@contoso.com\nfinance@contoso.com/Invoices',
		description:
			"One mailbox per line (user principal name). Add /Folder to watch a folder other than the default: a well-known name (Inbox, JunkEmail), a folder's display name or path (Inbox/Phishing Reports), or a folder ID.",
	},
	{
		displayName: 'Default Folder',
		name: 'defaultFolder',
		type: 'string',
		default: 'Inbox',
		description: 'Folder watched for mailboxes listed without /Folder',
	},
	{
		displayName: 'Attachment Filename Filter',
		name: 'attachmentFilter',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		placeholder: '**/*.docx\n- tmp/',
		description:
			'Rsync-style rules on "folder/filename", first match wins: a pattern includes, "- pattern" excludes, * stays within a folder, ** crosses folders, a trailing / matches a folder. With include rules, other files are skipped. Empty = no filter.',
	},
];

export const triggerOptions: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		...attachmentOptions,
		{
			displayName: 'Download Item Attachments',
			name: 'includeItemAttachments',
			type: 'boolean',
			default: false,
			description:
				'Whether to download attached Outlook items (forwarded emails, events) as .eml binary data. Off: they are listed with skipped: "kind", as are cloud (reference) attachments, which are never downloaded.',
		},
		{
			displayName: 'Max Emails per Run',
			name: 'maxItemsPerRun',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 500,
			description: 'Per folder; more emails follow in the next run, none is skipped',
		},
		{
			displayName: 'Import Emails Since',
			name: 'relativeImportStartDate',
			type: 'string',
			default: 'P30D',
			placeholder: 'P30D',
			description:
				'ISO-8601 duration before now. On the first run, and after Graph expires the delta token, only emails received within it are considered.',
		},
	],
};

/**
 * The webhook node drains every notified folder in one execution: a webhook call can start
 * one execution only, and nothing else in n8n's webhook model starts a later one without an
 * outside call, so a per-run cap would strand the rest until more mail arrives (and then new
 * mail would wait behind it). Memory stays bounded without a cap: attachments stream into
 * n8n's binary store and bodies are cut at the text-size option.
 */
export const webhookTriggerOptions: INodeProperties = {
	...triggerOptions,
	options: (triggerOptions.options as INodeProperties[]).filter(
		(option) => option.name !== 'maxItemsPerRun',
	),
};
