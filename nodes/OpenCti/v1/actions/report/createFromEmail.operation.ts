import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { DEFAULT_MIME_TYPES } from '../../../../../lib/mail/policy';
import type { NormalizedEmail } from '../../../../../lib/mail/types';
import {
	mapEmailToReport,
	selectReportAttachments,
	type OpenCtiClient,
} from '../../../../../lib/opencti';
import { showFor } from '../../helpers/displayOptions';
import { readMimeTypes, readReportOptions, reportOptionsField, tlpField } from '../common';
import { reportOutput } from './output';

const properties: INodeProperties[] = [
	{
		displayName:
			'Takes email items from an Email Intel trigger (IMAP, Microsoft 365) or the Email Intel Parse node and creates one report per email, exactly like the OpenCTI Email Intel IMAP connector',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	tlpField,
	{
		displayName: 'Attachment MIME Types',
		name: 'attachmentMimeTypes',
		type: 'string',
		default: DEFAULT_MIME_TYPES.join(','),
		description:
			'Attachments (Content-Disposition: attachment) of these types are uploaded as report files; wildcards like image/* work',
	},
	reportOptionsField,
];

export const description = showFor(
	{ show: { resource: ['report'], operation: ['createFromEmail'] } },
	properties,
);

/** The item must be a normalized email (lib/mail/types.ts); say which field is missing otherwise. */
function emailFromItem(
	context: IExecuteFunctions,
	item: INodeExecutionData,
	itemIndex: number,
): NormalizedEmail {
	const json = item.json as Partial<NormalizedEmail>;
	if (typeof json.date !== 'string' || Number.isNaN(Date.parse(json.date))) {
		throw new NodeOperationError(
			context.getNode(),
			'The input item is not an email item: it has no valid "date"',
			{
				itemIndex,
				description:
					'Connect an Email Intel trigger (IMAP or Microsoft 365) or the Email Intel Parse node before this node, or use the "Create Report" operation with your own fields.',
			},
		);
	}
	return {
		...json,
		subject: json.subject ?? '',
		text: json.text ?? '',
		html: json.html ?? '',
		attachments: Array.isArray(json.attachments) ? json.attachments : [],
	} as NormalizedEmail;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: OpenCtiClient,
): Promise<INodeExecutionData[]> {
	const item = this.getInputData()[itemIndex];
	const email = emailFromItem(this, item, itemIndex);
	const mimeTypes = readMimeTypes(this, itemIndex);
	const chosen = selectReportAttachments(email, mimeTypes);
	const attachments = [];
	for (const info of chosen) {
		const property = info.binaryProperty as string;
		if (!item.binary?.[property]) {
			throw new NodeOperationError(
				this.getNode(),
				`Attachment "${info.filename}" is listed but the item has no binary property "${property}"`,
				{
					itemIndex,
					description:
						'A node between the trigger and this one dropped the binary data; keep the attachment_N binary properties on the item.',
				},
			);
		}
		attachments.push({ info, data: await this.helpers.getBinaryDataBuffer(itemIndex, property) });
	}
	const plan = mapEmailToReport(email, attachments, {
		...readReportOptions(this, itemIndex),
		mimeTypes,
	});
	const report = await client.createReport(plan);
	return [{ json: reportOutput(report), pairedItem: { item: itemIndex } }];
}
