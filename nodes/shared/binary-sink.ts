import type {
	IBinaryData,
	IBinaryKeyData,
	IExecuteFunctions,
	INodeExecutionData,
} from 'n8n-workflow';

import { fallbackFilename, sanitizeFilename } from '../../lib/mail/filename';
import type { AttachmentSink, ParsedEmail } from '../../lib/mail/parse';
import type { AttachmentInfo } from '../../lib/mail/types';

/** The stream a sink is handed (node:stream's Readable, named without importing it here). */
type SinkStream = Parameters<AttachmentSink<IBinaryData>>[1];

/** The n8n helpers every context (execute, poll, webhook, trigger) shares for binary data. */
interface BinaryHelpers {
	helpers: Pick<IExecuteFunctions['helpers'], 'prepareBinaryData'>;
}

/**
 * Stores each kept attachment through n8n's binary data service, from the stream, so with
 * the filesystem/S3 binary mode a large attachment never sits whole in the heap. Bytes that
 * are in memory already (a parse thread's attachments, a raw source) go in as a Buffer.
 */
export function n8nBinarySink(context: BinaryHelpers): AttachmentSink<IBinaryData> {
	const store = async (info: AttachmentInfo, content: SinkStream | Buffer) => {
		// The producers sanitized the name already; this sink may be handed any AttachmentInfo
		// (a workflow's own), and it overrides n8n's basename below, so it checks once more.
		const fileName = sanitizeFilename(info.filename) ?? fallbackFilename(info.contentType, 0);
		const binary = await context.helpers.prepareBinaryData(content, fileName, info.contentType);
		// prepareBinaryData guesses a name from the path; keep the decoded MIME filename.
		binary.fileName = fileName;
		binary.mimeType = info.contentType;
		return binary;
	};
	return Object.assign(store, { fromBuffer: store });
}

/** A parsed email whose raw source is still a Buffer, or was already stored (streamed to n8n). */
type EmailForItem = Pick<ParsedEmail<IBinaryData>, 'email' | 'attachments'> & {
	raw?: Buffer | IBinaryData;
};

/** One normalized email as an n8n item: json = the item, binary = attachment_0..n (+ raw). */
export async function toNodeItem(
	context: BinaryHelpers,
	parsed: EmailForItem,
	options: { itemIndex?: number; rawFileName?: string } = {},
): Promise<INodeExecutionData> {
	const binary: IBinaryKeyData = {};
	for (const attachment of parsed.attachments)
		binary[attachment.binaryProperty] = attachment.stored;
	if (Buffer.isBuffer(parsed.raw)) {
		binary.raw = await context.helpers.prepareBinaryData(
			parsed.raw,
			sanitizeFilename(options.rawFileName) ?? 'message.eml',
			'message/rfc822',
		);
	} else if (parsed.raw) {
		binary.raw = parsed.raw;
	}
	const item: INodeExecutionData = { json: parsed.email as unknown as INodeExecutionData['json'] };
	if (Object.keys(binary).length > 0) item.binary = binary;
	if (options.itemIndex !== undefined) item.pairedItem = { item: options.itemIndex };
	return item;
}
