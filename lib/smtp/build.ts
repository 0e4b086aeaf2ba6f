import { Transform, type Readable, type TransformCallback } from 'node:stream';

import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';

import { MailIntelError } from '../errors';

/** Gmail's and Microsoft 365's limit; a larger message would be refused by most servers anyway. */
export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/**
 * The RFC 5322 message as a stream, written while it is read (attachment streams are opened one
 * by one as their turn comes). The cap is checked on the way: an oversized attachment stream is
 * stopped with MESSAGE_TOO_LARGE, not read to its end.
 */
export function messageStream(
	mail: Mail.Options,
	maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): { stream: Readable; messageId: string } {
	const node = new MailComposer(mail).compile();
	const messageId = node.messageId();
	const source = node.createReadStream();
	const capped = new SizeCap(maxBytes);
	source.once('error', (error: Error) =>
		capped.destroy(
			error instanceof MailIntelError
				? error
				: new MailIntelError(`building the message failed: ${error.message}`, {
						source: 'smtp',
						code: 'ATTACHMENT_READ_FAILED',
						field: 'attachments',
						cause: error,
					}),
		),
	);
	capped.once('error', () => source.destroy());
	return { stream: source.pipe(capped), messageId };
}

/**
 * The whole message in memory, for when it is submitted and then APPENDed to Sent (imapflow's
 * append takes a Buffer): the cap bounds that memory.
 */
export async function buildMessage(
	mail: Mail.Options,
	maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): Promise<{ raw: Buffer; messageId: string }> {
	const { stream, messageId } = messageStream(mail, maxBytes);
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of stream as AsyncIterable<Buffer>) {
		size += chunk.length;
		chunks.push(chunk);
	}
	return { raw: Buffer.concat(chunks, size), messageId };
}

class SizeCap extends Transform {
	private size = 0;

	constructor(private readonly maxBytes: number) {
		super();
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.size += chunk.length;
		if (this.size > this.maxBytes) {
			callback(
				new MailIntelError(
					`the message is larger than ${Math.round(this.maxBytes / 1024 / 1024)} MB (attachments are base64-encoded, a third larger than the files)`,
					{
						source: 'smtp',
						code: 'MESSAGE_TOO_LARGE',
						field: 'attachments',
						hint: 'Send fewer or smaller attachments, or raise Max Message Size (MB) if the server accepts more.',
					},
				),
			);
			return;
		}
		callback(null, chunk);
	}
}
