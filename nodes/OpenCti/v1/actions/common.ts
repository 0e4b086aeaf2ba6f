import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { parseMimeTypeList } from '../../../../lib/mail/policy';
import {
	CONNECTOR_AUTHOR_NAME,
	DEFAULT_TLP,
	type EmailReportOptions,
	type ExternalReferenceSpec,
	type FileUpload,
} from '../../../../lib/opencti';

/** One binary property of the item as an OpenCTI file upload carrying `marking`. */
export async function binaryAsUpload(
	context: IExecuteFunctions,
	itemIndex: number,
	property: string,
	marking: string,
): Promise<FileUpload> {
	const binary = context.helpers.assertBinaryData(itemIndex, property);
	return {
		name: binary.fileName ?? property,
		mimeType: binary.mimeType,
		data: await context.helpers.getBinaryDataBuffer(itemIndex, property),
		markings: [marking],
	};
}

/** Fields shared by the report operations (TLP + the options collection). */
export const tlpField: INodeProperties = {
	displayName: 'TLP',
	name: 'tlp',
	type: 'options',
	options: [
		{ name: 'TLP:AMBER', value: 'amber' },
		{ name: 'TLP:AMBER+STRICT', value: 'amber+strict' },
		{ name: 'TLP:CLEAR', value: 'clear' },
		{ name: 'TLP:GREEN', value: 'green' },
		{ name: 'TLP:RED', value: 'red' },
	],
	// The connector's default (DEFAULT_TLP in lib/opencti/tlp.ts).
	default: 'amber+strict',
	description:
		'Marking of the report and of every file uploaded with it (the connector default is TLP:AMBER+STRICT)',
};

export const reportOptionsField: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Author Name',
			name: 'authorName',
			type: 'string',
			default: CONNECTOR_AUTHOR_NAME,
			description: 'Organization set as the report author; created in OpenCTI if it does not exist',
		},
		{
			displayName: 'Confidence',
			name: 'confidence',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 100 },
			default: 50,
			description: 'Confidence level (0-100). Unset: the platform default.',
		},
		{
			displayName: 'External Reference ID',
			name: 'externalReferenceId',
			type: 'string',
			default: '',
			placeholder: '=mid:{{ $json.messageId }}',
			description:
				'Adds an external reference with this ID, e.g. the Message-ID, to find the report from the email',
		},
		{
			displayName: 'External Reference Source',
			name: 'externalReferenceSource',
			type: 'string',
			default: 'email',
			description: 'Source name of the external reference',
		},
		{
			displayName: 'External Reference URL',
			name: 'externalReferenceUrl',
			type: 'string',
			default: '',
			description: 'URL of the external reference (optional)',
		},
		{
			displayName: 'Labels',
			name: 'labels',
			type: 'string',
			default: '',
			placeholder: 'phishing, email-intel',
			description: 'Comma-separated labels; missing ones are created',
		},
		{
			displayName: 'Report Types',
			name: 'reportTypes',
			type: 'string',
			default: 'threat-report',
			description: 'Comma-separated report types (OpenCTI vocabulary report_types_ov)',
		},
		{
			displayName: 'Trigger Import Connectors',
			name: 'triggerImport',
			type: 'boolean',
			default: true,
			description: 'Whether OpenCTI may run its file import connectors on the uploaded files',
		},
	],
};

interface RawOptions {
	authorName?: string;
	confidence?: number;
	externalReferenceId?: string;
	externalReferenceSource?: string;
	externalReferenceUrl?: string;
	labels?: string;
	reportTypes?: string;
	triggerImport?: boolean;
}

export const splitList = (value: string | undefined): string[] =>
	(value ?? '')
		.split(/[,\n]/)
		.map((entry) => entry.trim())
		.filter((entry) => entry.length > 0);

export function readReportOptions(
	context: IExecuteFunctions,
	itemIndex: number,
): EmailReportOptions {
	const tlp = context.getNodeParameter('tlp', itemIndex, DEFAULT_TLP) as string;
	const raw = context.getNodeParameter('options', itemIndex, {}) as RawOptions;
	const reference: ExternalReferenceSpec | undefined =
		raw.externalReferenceId?.trim() || raw.externalReferenceUrl?.trim()
			? {
					source_name: raw.externalReferenceSource?.trim() || 'email',
					...(raw.externalReferenceId?.trim()
						? { external_id: raw.externalReferenceId.trim() }
						: {}),
					...(raw.externalReferenceUrl?.trim() ? { url: raw.externalReferenceUrl.trim() } : {}),
				}
			: undefined;
	return {
		tlp,
		...(raw.authorName === undefined ? {} : { authorName: raw.authorName }),
		...(raw.confidence === undefined ? {} : { confidence: raw.confidence }),
		...(raw.reportTypes === undefined ? {} : { reportTypes: splitList(raw.reportTypes) }),
		labels: splitList(raw.labels),
		...(reference ? { externalReference: reference } : {}),
		noTriggerImport: raw.triggerImport === false,
	};
}

export function readMimeTypes(context: IExecuteFunctions, itemIndex: number): string[] {
	return parseMimeTypeList(
		context.getNodeParameter('attachmentMimeTypes', itemIndex, '') as string,
	);
}
