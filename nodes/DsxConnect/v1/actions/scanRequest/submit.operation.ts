import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import type { AttachmentInfo } from '../../../../../lib/mail/types';
import { formatLocation, messageOfItem } from '../../../../../lib/scan/dsx-connect/location';
import { assertReadable } from '../../../../../lib/scan/dsx-connect/read-location';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import type { DsxConnectSession } from '../../transport';

const properties: INodeProperties[] = [
	{
		displayName:
			"Takes email items from this pack's triggers (their `locator` and `attachments`). The attachments' bytes are not sent: dsx-connect reads each back through the DSX Connect Connector trigger (same credential), which must be active.",
		name: 'submitNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Scan Job ID',
				name: 'scanJobId',
				type: 'string',
				default: '',
				description:
					'Groups the requests in dsx-connect (its scan_job_id). Empty: one new ID per execution.',
			},
			{
				displayName: 'Include Inline Parts',
				name: 'includeInline',
				type: 'boolean',
				default: true,
				description: 'Whether inline parts (images in the HTML body) are scanned too',
			},
		],
	},
];

export const description = showFor(
	{ show: { resource: ['scanRequest'], operation: ['submit'] } },
	properties,
);

/** Attachments that have bytes to read back (a Graph reference attachment is only a link). */
function scannable(attachments: unknown, includeInline: boolean): AttachmentInfo[] {
	if (!Array.isArray(attachments)) return [];
	return (attachments as AttachmentInfo[]).filter(
		(attachment) =>
			attachment &&
			typeof attachment.id === 'string' &&
			attachment.id !== '' &&
			attachment.kind !== 'referenceAttachment' &&
			(includeInline || !attachment.inline),
	);
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: DsxConnectSession,
	defaultJobId: string,
): Promise<INodeExecutionData[]> {
	const item = this.getInputData()[itemIndex].json;
	const options = this.getNodeParameter('options', itemIndex, {}) as {
		scanJobId?: string;
		includeInline?: boolean;
	};
	const locator = item.locator as string;
	assertReadable(messageOfItem(locator).provider, locator);
	const scanJobId = options.scanJobId?.trim() || defaultJobId;
	const requests: IDataObject[] = [];
	for (const attachment of scannable(item.attachments, options.includeInline ?? true)) {
		const location = formatLocation(locator, attachment.id);
		const answer = await session.client.requestScan(session.enrollment, {
			location,
			metainfo: attachment.filename ?? '',
			size_in_bytes: typeof attachment.size === 'number' ? attachment.size : null,
			scan_job_id: scanJobId,
		});
		requests.push({
			location,
			attachmentId: attachment.id,
			filename: attachment.filename ?? '',
			status: answer.status,
			message: answer.message,
			taskId: answer.id ?? /Scan task ID: (\S+)/.exec(answer.message)?.[1] ?? null,
		});
	}
	return [
		{
			json: {
				locator,
				scanJobId,
				connector: session.enrollment.connector.name,
				submitted: requests.length,
				requests,
			},
			pairedItem: { item: itemIndex },
		},
	];
}
