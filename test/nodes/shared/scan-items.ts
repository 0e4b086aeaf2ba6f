import type { INodeExecutionData } from 'n8n-workflow';

/** One attachment of a test email: its bytes, or none (the trigger's policy skipped it). */
export interface TestAttachment {
	filename: string;
	contentType: string;
	bytes?: Buffer;
	skipped?: string;
}

/**
 * An email item as the pack's triggers emit it: the normalized JSON (`attachments[]` with
 * `binaryProperty`) and each kept attachment as an `attachment_N` binary.
 */
export function emailItem(
	messageId: string,
	attachments: TestAttachment[],
	text = 'Hello',
): INodeExecutionData {
	const binary: NonNullable<INodeExecutionData['binary']> = {};
	const listed = attachments.map((attachment, index) => {
		const property = attachment.bytes ? `attachment_${index}` : undefined;
		if (property && attachment.bytes)
			binary[property] = {
				data: attachment.bytes.toString('base64'),
				mimeType: attachment.contentType,
				fileName: attachment.filename,
			};
		return {
			id: `${index + 2}`,
			filename: attachment.filename,
			contentType: attachment.contentType,
			size: attachment.bytes?.length ?? 1000,
			inline: false,
			...(property ? { binaryProperty: property } : {}),
			...(attachment.skipped ? { skipped: attachment.skipped } : {}),
		};
	});
	return {
		json: {
			provider: 'imap',
			id: `1:${messageId}`,
			messageId: `<${messageId}@example.com>`,
			subject: `mail ${messageId}`,
			text,
			attachments: listed,
		},
		binary,
	};
}
