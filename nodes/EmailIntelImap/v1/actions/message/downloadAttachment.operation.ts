import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { fallbackFilename, sanitizeFilename } from '../../../../../lib/mail/filename';
import { download } from '../../../../../lib/providers/imap/actions';
import { attachmentPart } from '../../../../../lib/providers/imap/message-ops';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import { addressFields, messageRef, refJson } from './address';
import { binaryPropertyField } from './binary-property';

export const description = showFor(
	{ show: { resource: ['message'], operation: ['downloadAttachment'] } },
	[
		...addressFields,
		{
			displayName: 'Attachment ID',
			name: 'attachmentId',
			type: 'string',
			default: '',
			required: true,
			placeholder: '2',
			description:
				"The ID of the attachment in the item's attachments list (the MIME part number, e.g. 2 or 1.2)",
		},
		binaryPropertyField,
	],
);

/**
 * One attachment, decoded, streamed into n8n's binary store: also one the Get options skipped
 * (too large, another MIME type). Named and typed as the part declares (name sanitized).
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const ref = await messageRef.call(this, itemIndex, session);
	const part = (this.getNodeParameter('attachmentId', itemIndex) as string).trim();
	const property = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
	const info = await attachmentPart(session, ref, part);
	const fileName = sanitizeFilename(info.filename) ?? fallbackFilename(info.contentType, 0);
	const binary = await this.helpers.prepareBinaryData(
		await download(session, ref, part),
		fileName,
		info.contentType,
	);
	binary.fileName = fileName;
	binary.mimeType = info.contentType;
	return [
		{
			json: {
				...refJson(session, ref),
				attachmentId: part,
				fileName,
				contentType: info.contentType,
			},
			binary: { [property]: binary },
		},
	];
}
