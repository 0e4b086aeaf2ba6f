import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_SCAN_CONCURRENCY } from '../../../lib/scan/run';
import type { ScanFeatures } from './features';

/** Default size cap: larger than any mail server lets through (Microsoft 365 stops at 150 MB). */
export const DEFAULT_MAX_SIZE_MB = 150;

export const operationProperty: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Scan Attachments',
			value: 'scanAttachments',
			description: "Scan each attachment of an email item (a trigger's or Parse's output)",
			action: 'Scan the attachments of an email',
		},
		{
			name: 'Scan File',
			value: 'scanFile',
			description: 'Scan one binary property of any item',
			action: 'Scan a file',
		},
	],
	default: 'scanAttachments',
};

const attachmentFields: INodeProperties[] = [
	{
		displayName: 'Binary Properties',
		name: 'binaryPropertyNames',
		type: 'string',
		default: '',
		placeholder: 'attachment_0, attachment_1',
		displayOptions: { show: { operation: ['scanAttachments'] } },
		description:
			"Comma-separated binary properties to scan. Empty: every attachment listed in the item's `attachments` (an attachment that was not downloaded counts as Not Scanned), or every binary property when the item has no such list.",
	},
];

const fileFields: INodeProperties[] = [
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		displayOptions: { show: { operation: ['scanFile'] } },
		hint: 'The name of the input binary field containing the file to scan',
	},
];

function optionsField(features: ScanFeatures): INodeProperties {
	const options: INodeProperties[] = [
		{
			displayName: 'Concurrency',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 64 },
			default: DEFAULT_SCAN_CONCURRENCY,
			description: 'Files of one item scanned at once',
		},
		{
			displayName: 'Max File Size (MB)',
			name: 'maxSizeMb',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_MAX_SIZE_MB,
			description:
				'Larger files are not sent and come out as Not Scanned (reason "size"); checked on the declared size and on the bytes as they stream. 0: no limit.',
		},
		{
			displayName: 'Skip Files Scanned in Earlier Executions',
			name: 'skipScanned',
			type: 'boolean',
			default: false,
			description:
				'Whether to skip a file already scanned by this node for the same message (by message ID and SHA-256), using n8n\'s deduplication store; a skipped file is Not Scanned (reason "duplicate"). Needs an n8n that offers the deduplication helper (1.60 and later); on older ones every file is scanned.',
		},
		{
			displayName: 'Timeout (Seconds)',
			name: 'timeoutSeconds',
			type: 'number',
			typeOptions: { minValue: 1 },
			// DEFAULT_SCAN_TIMEOUT_MS (lib/scan/run.ts) in seconds; the lint rule wants a literal.
			default: 300,
			description:
				'Longest time for one file, retries included; a file that runs out is Not Scanned with verdict Error',
		},
	];
	if (features.hashFirst)
		options.push({
			displayName: 'Hash First',
			name: 'hashFirst',
			type: 'boolean',
			default: false,
			description:
				'Whether to ask the scanner for the SHA-256 first (/scan/by_hash) and upload only files it does not know',
		});
	if (features.archivePassword)
		options.push(
			{
				displayName: 'Archive Password From',
				name: 'archivePasswordSource',
				// A choice of where the password comes from, not a secret: nothing to mask.
				// eslint-disable-next-line n8n-nodes-base/node-param-type-options-password-missing
				type: 'options',
				options: [
					{ name: 'None', value: 'none' },
					{ name: 'Fixed', value: 'fixed' },
					{
						name: 'From the Email Text',
						value: 'emailText',
						description: 'Finds "Password: ..." in the email\'s text (or HTML) body',
					},
				],
				default: 'none',
				description: 'Password sent with each file so the scanner can open protected archives',
			},
			{
				displayName: 'Archive Password',
				name: 'archivePassword',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				displayOptions: { show: { archivePasswordSource: ['fixed'] } },
			},
		);
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: options.sort((a, b) => a.displayName.localeCompare(b.displayName)),
	};
}

/** Every property of a scan node: the two operations and their options. */
export function scanProperties(features: ScanFeatures): INodeProperties[] {
	return [operationProperty, ...attachmentFields, ...fileFields, optionsField(features)];
}
