import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { parseMimeTypeList } from '../../../../../lib/mail/policy';
import {
	DEFAULT_BANNER_HTML,
	validatePolicy,
	type RemediationPolicy,
} from '../../../../../lib/remediation';
import { showFor } from '../../../../shared/display-options';
import type { Remediators } from '../../transport';
import { locatorField, outputItem, targetOf } from '../common';

const properties: INodeProperties[] = [
	locatorField,
	{
		displayName: 'Delete Attachments',
		name: 'deleteAttachments',
		type: 'boolean',
		default: true,
		description:
			"Whether to delete the attachments the item's scan marks Malicious, and those the patterns below select (IMAP and Gmail: each is replaced by a short text part naming it)",
	},
	{
		displayName: 'Also Delete by File Name',
		name: 'filenamePatterns',
		type: 'string',
		default: '',
		placeholder: '*.exe, *.js',
		displayOptions: { show: { deleteAttachments: [true] } },
		description:
			"Rules over the sanitized file name, as the triggers' attachment filter writes them",
	},
	{
		displayName: 'Also Delete by MIME Type',
		name: 'mimePatterns',
		type: 'string',
		default: '',
		placeholder: 'application/x-msdownload, application/vnd.ms-word.document.macroenabled.12',
		displayOptions: { show: { deleteAttachments: [true] } },
		description: 'Declared Content-Types to delete (a trailing /* matches a whole family)',
	},
	{
		displayName: 'Add Banner',
		name: 'banner',
		type: 'boolean',
		default: true,
		description:
			'Whether to prepend a warning banner to the body (a text-only email gets a text banner)',
	},
	{
		displayName: 'Banner HTML',
		name: 'bannerHtml',
		type: 'string',
		typeOptions: { rows: 5 },
		default: DEFAULT_BANNER_HTML,
		displayOptions: { show: { banner: [true] } },
		description:
			'{{subject}}, {{removedFiles}} and {{verdict}} are replaced, HTML-escaped. Write them with double braces.',
	},
	{
		displayName: 'Tag Subject',
		name: 'tagSubject',
		type: 'boolean',
		default: false,
		description: 'Whether to put a tag in front of the subject',
	},
	{
		displayName: 'Subject Tag',
		name: 'subjectTag',
		type: 'string',
		default: '[Suspicious]',
		displayOptions: { show: { tagSubject: [true] } },
	},
	{
		displayName: 'Add Headers',
		name: 'addHeaders',
		type: 'boolean',
		default: false,
		description:
			'Whether to add X-headers (IMAP and Gmail). Microsoft 365 cannot set headers on received mail: they become categories "Name: value", and the output says so.',
	},
	{
		displayName: 'Headers',
		name: 'headers',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Header',
		displayOptions: { show: { addHeaders: [true] } },
		default: { header: [{ name: 'X-Attachment-Scan', value: 'malicious' }] },
		options: [
			{
				displayName: 'Header',
				name: 'header',
				values: [
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
					{ displayName: 'Value', name: 'value', type: 'string', default: '' },
				],
			},
		],
	},
	{
		displayName: 'Add Categories',
		name: 'addCategories',
		type: 'boolean',
		default: false,
		description:
			"Whether to add Microsoft 365 categories / IMAP keywords / Gmail labels (created when missing; the mailbox owner's own are kept)",
	},
	{
		displayName: 'Categories',
		name: 'categories',
		type: 'string',
		default: '',
		placeholder: 'Phishing, $Malicious',
		displayOptions: { show: { addCategories: [true] } },
		description:
			'Comma-separated. IMAP keywords cannot contain spaces: such names are refused there.',
	},
	{
		displayName: 'Quarantine',
		name: 'quarantine',
		type: 'boolean',
		default: false,
		description:
			'Whether to move the email to a quarantine folder (created when missing; Gmail: add this label and take INBOX away); Release moves it back',
	},
	{
		displayName: 'Quarantine Folder',
		name: 'quarantineFolder',
		type: 'string',
		default: 'Quarantine',
		displayOptions: { show: { quarantine: [true] } },
		description:
			'Folder name or path (Inbox/Quarantine). IMAP: a special-use flag such as \\Junk picks that folder. Gmail: a label name.',
	},
	{
		displayName: 'Audit Copy',
		name: 'auditCopy',
		type: 'boolean',
		default: true,
		description:
			'Whether to copy the untouched original to an audit folder (Gmail: a label) before the email is changed',
	},
	{
		displayName: 'Audit Folder',
		name: 'auditFolder',
		type: 'string',
		default: 'Email Intel Audit',
		displayOptions: { show: { auditCopy: [true] } },
	},
];

export const description = showFor(
	{ show: { resource: ['message'], operation: ['remediate'] } },
	properties,
);

function policyOf(context: IExecuteFunctions, itemIndex: number): RemediationPolicy {
	const get = <T>(name: string, fallback: T) =>
		context.getNodeParameter(name, itemIndex, fallback) as T;
	const headers: Record<string, string> = {};
	if (get('addHeaders', false))
		for (const { name, value } of get<{ header?: Array<{ name: string; value: string }> }>(
			'headers',
			{},
		).header ?? [])
			if (name.trim()) headers[name.trim()] = value;
	const deleteAttachments = get('deleteAttachments', true);
	return validatePolicy({
		deleteAttachments,
		filenamePatterns: deleteAttachments ? get('filenamePatterns', '') : '',
		mimePatterns: deleteAttachments ? parseMimeTypeList(get('mimePatterns', '')) : [],
		banner: get('banner', true),
		bannerHtml: get('bannerHtml', DEFAULT_BANNER_HTML) || DEFAULT_BANNER_HTML,
		subjectTag: get('tagSubject', false) ? get('subjectTag', '').trim() : '',
		headers,
		categories: get('addCategories', false)
			? get('categories', '')
					.split(',')
					.map((name) => name.trim())
					.filter(Boolean)
			: [],
		quarantineFolder: get('quarantine', false) ? get('quarantineFolder', '').trim() : '',
		auditFolder: get('auditCopy', true) ? get('auditFolder', '').trim() : '',
	});
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	remediators: Remediators,
): Promise<INodeExecutionData[]> {
	const target = targetOf(this, itemIndex);
	const policy = policyOf(this, itemIndex);
	const remediator = await remediators.for(target.ref.provider);
	return [outputItem(this, itemIndex, await remediator.remediate(target, policy))];
}
