import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_POLICY, parseMimeTypeList, type AttachmentPolicy } from '../../lib/mail/policy';

const MB = 1024 * 1024;

/**
 * The attachment policy as n8n options, shared by every trigger and the parse node so the
 * same words mean the same thing everywhere. Spread into a node's "Options" collection.
 */
// Defaults are literals (n8n's lint wants them so); they equal DEFAULT_POLICY, which a test checks.
export const attachmentOptions: INodeProperties[] = [
	{
		displayName: 'Attachment MIME Types',
		name: 'attachmentMimeTypes',
		type: 'string',
		default: 'application/pdf,text/csv,text/plain',
		placeholder: 'application/pdf,text/csv,image/*',
		description:
			'Comma-separated MIME types of attachments to keep as binary data. Exact types or wildcards like image/*; * keeps all. Other attachments are still listed in "attachments" with skipped: "mimeType".',
	},
	{
		displayName: 'Include Inline Parts',
		name: 'includeInline',
		type: 'boolean',
		default: false,
		description:
			'Whether to also keep inline parts (e.g. images embedded in the HTML body) as binary data',
	},
	{
		displayName: 'Max Attachment Size (MB)',
		name: 'maxAttachmentSizeMb',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 25,
		description:
			'Larger attachments are listed with skipped: "size" instead of being downloaded as binary data',
	},
	{
		displayName: 'Max Text Length',
		name: 'maxTextChars',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 1048576,
		description:
			'Text and HTML bodies are cut at this many characters each; textTruncated is then true',
	},
];

/** "Include Raw Email": the original message as binary property `raw`, for the triggers that have it. */
export const includeRawOption: INodeProperties = {
	displayName: 'Include Raw Email',
	name: 'includeRaw',
	type: 'boolean',
	default: false,
	description:
		'Whether to add the original message as a .eml file (message/rfc822) in the binary property "raw"',
};

export interface AttachmentOptionValues {
	attachmentMimeTypes?: string;
	includeInline?: boolean;
	maxAttachmentSizeMb?: number;
	maxTextChars?: number;
}

export function policyFromParameters(values: AttachmentOptionValues): AttachmentPolicy {
	return {
		mimeTypes:
			values.attachmentMimeTypes === undefined
				? DEFAULT_POLICY.mimeTypes
				: parseMimeTypeList(values.attachmentMimeTypes),
		includeInline: values.includeInline ?? DEFAULT_POLICY.includeInline,
		maxAttachmentBytes:
			values.maxAttachmentSizeMb === undefined
				? DEFAULT_POLICY.maxAttachmentBytes
				: Math.round(values.maxAttachmentSizeMb * MB),
		maxTextChars: values.maxTextChars ?? DEFAULT_POLICY.maxTextChars,
	};
}
