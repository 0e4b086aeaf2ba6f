import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';

import { MailIntelError } from '../errors';

/** Gmail's and Microsoft 365's limit; a larger message would be refused by most servers anyway. */
export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/**
 * Builds the RFC 5322 message, reading the attachment streams once. The bytes are kept
 * because the same message is submitted and then APPENDed to Sent (imapflow's append takes a
 * Buffer); the cap bounds that memory and is checked while the message is written, so an
 * oversized attachment stream is stopped, not read to its end.
 */
export async function buildMessage(
	mail: Mail.Options,
	maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): Promise<{ raw: Buffer; messageId: string }> {
	const node = new MailComposer(mail).compile();
	const messageId = node.messageId();
	const stream = node.createReadStream();
	const chunks: Buffer[] = [];
	let size = 0;
	try {
		for await (const chunk of stream as AsyncIterable<Buffer>) {
			size += chunk.length;
			if (size > maxBytes) {
				stream.destroy();
				throw new MailIntelError(
					`the message is larger than ${Math.round(maxBytes / 1024 / 1024)} MB (attachments are base64-encoded, a third larger than the files)`,
					{
						source: 'smtp',
						code: 'MESSAGE_TOO_LARGE',
						field: 'attachments',
						hint: 'Send fewer or smaller attachments, or raise Max Message Size (MB) if the server accepts more.',
					},
				);
			}
			chunks.push(chunk);
		}
	} catch (error) {
		if (error instanceof MailIntelError) throw error;
		throw new MailIntelError(`building the message failed: ${(error as Error).message}`, {
			source: 'smtp',
			code: 'ATTACHMENT_READ_FAILED',
			field: 'attachments',
			retryable: false,
			cause: error,
		});
	}
	return { raw: Buffer.concat(chunks, size), messageId };
}
