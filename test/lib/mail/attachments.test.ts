import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import { MailIntelError } from '../../../lib/errors';
import {
	AttachmentPipeline,
	bufferSink,
	type AttachmentSink,
	type BufferedAttachment,
	type PartBytes,
} from '../../../lib/mail/attachments';
import { DEFAULT_POLICY, type AttachmentPolicy } from '../../../lib/mail/policy';

// The one pipeline, driven with streams and sinks the test controls: what each failure class
// does to the item (recorded on the part) or to the fetch (a retryable rejection).

const KEEP_ALL: AttachmentPolicy = { ...DEFAULT_POLICY, mimeTypes: ['*'] };
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** How a MIME producer reports a part whose bytes cannot be decoded. */
const mimeDecode = (error: unknown) =>
	new MailIntelError(`MIME part could not be decoded: ${(error as Error).message}`, {
		source: 'mail',
		code: 'MIME_DECODE',
	});

function bytesOf(data: Buffer, extra: Partial<PartBytes> = {}): PartBytes {
	return {
		open: () => Readable.from([data]),
		readToEnd: true,
		streamFailure: mimeDecode,
		...extra,
	};
}

/** A part that decodes `good` bytes, then its decoder fails. */
function undecodable(good: Buffer): PartBytes {
	return bytesOf(good, {
		open: () => {
			const stream = new Readable({ read() {} });
			stream.push(good);
			setImmediate(() => stream.destroy(new Error('invalid base64 quantum')));
			return stream;
		},
	});
}

async function add<T>(
	pipeline: AttachmentPipeline<T>,
	filename: string,
	bytes: PartBytes,
	contentType = 'application/pdf',
) {
	const info = pipeline.describe({ id: filename, filename, contentType, inline: false });
	await pipeline.add(info, bytes);
	return info;
}

describe('AttachmentPipeline', () => {
	it('a part that cannot be decoded is recorded as a permanent MIME_DECODE failure; the other parts are fine', async () => {
		const pipeline = new AttachmentPipeline<BufferedAttachment>({ policy: KEEP_ALL });
		const before = Buffer.from('%PDF-1.4 first');
		const after = Buffer.from('a,b\n1,2\n');
		await add(pipeline, 'first.pdf', bytesOf(before));
		const broken = await add(pipeline, 'broken.pdf', undecodable(Buffer.alloc(300, 1)));
		await add(pipeline, 'after.csv', bytesOf(after), 'text/csv');
		expect(broken).toMatchObject({
			skipped: 'error',
			error: { code: 'MIME_DECODE', message: expect.stringContaining('invalid base64') },
			size: 300,
		});
		expect(broken.binaryProperty).toBeUndefined();
		expect(broken.sha256).toBeUndefined();
		expect(pipeline.kept.map((kept) => [kept.binaryProperty, kept.info.filename])).toEqual([
			['attachment_0', 'first.pdf'],
			['attachment_1', 'after.csv'],
		]);
		expect(pipeline.kept[1].stored.data.equals(after)).toBe(true);
		expect(pipeline.kept[1].info.sha256).toBe(sha256(after));
	});

	it('a sink write failure rejects with a retryable MailIntelError (the message is fetched again)', async () => {
		const failing: AttachmentSink<BufferedAttachment> = async () => {
			throw new Error('ENOSPC: no space left on device');
		};
		const pipeline = new AttachmentPipeline({ policy: KEEP_ALL, sink: failing });
		const adding = add(pipeline, 'a.pdf', bytesOf(Buffer.from('%PDF')));
		await expect(adding).rejects.toMatchObject({
			code: 'SINK_WRITE',
			retryable: true,
			message: expect.stringContaining('ENOSPC'),
		});
	});

	it('with recordTransientFailures the sink failure is recorded as RETRIES_EXHAUSTED', async () => {
		const failing: AttachmentSink<BufferedAttachment> = async () => {
			throw new Error('ENOSPC: no space left on device');
		};
		const pipeline = new AttachmentPipeline({
			policy: KEEP_ALL,
			sink: failing,
			recordTransientFailures: true,
		});
		const info = await add(pipeline, 'a.pdf', bytesOf(Buffer.from('%PDF')));
		expect(info).toMatchObject({ skipped: 'error', error: { code: 'RETRIES_EXHAUSTED' } });
		expect(info.error?.message).toMatch(/ENOSPC/);
		expect(pipeline.kept).toEqual([]);
	});

	it('a streaming sink whose source fails is judged by the source (decode), not as a storage failure', async () => {
		// A stream-only sink: parts past the in-memory threshold reach it as a stream.
		const streaming: AttachmentSink<BufferedAttachment> = (info, content) =>
			bufferSink(info, content);
		const pipeline = new AttachmentPipeline({ policy: KEEP_ALL, sink: streaming });
		const info = await add(pipeline, 'big.pdf', undecodable(Buffer.alloc(2 * 1024 * 1024, 7)));
		expect(info).toMatchObject({ skipped: 'error', error: { code: 'MIME_DECODE' } });
	});

	it('over the cap: skipped "size", never an error', async () => {
		const pipeline = new AttachmentPipeline({
			policy: { ...KEEP_ALL, maxAttachmentBytes: 10 },
		});
		const info = await add(pipeline, 'big.pdf', bytesOf(Buffer.alloc(64, 1)));
		expect(info).toMatchObject({ skipped: 'size', size: 64 });
		expect(info.error).toBeUndefined();
	});

	it('a download that cannot be opened (404) is permanent; a 503 rejects retryable', async () => {
		const pipeline = new AttachmentPipeline({ policy: KEEP_ALL });
		const notFound = await add(
			pipeline,
			'gone.pdf',
			bytesOf(Buffer.alloc(0), {
				readToEnd: false,
				open: () =>
					Promise.reject(
						new MailIntelError('Graph GET failed (404)', { source: 'graph', status: 404 }),
					),
			}),
		);
		expect(notFound.error).toEqual({ code: 'NOT_FOUND', message: 'Graph GET failed (404)' });
		const adding = add(
			pipeline,
			'busy.pdf',
			bytesOf(Buffer.alloc(0), {
				readToEnd: false,
				open: () =>
					Promise.reject(
						new MailIntelError('Graph GET failed (503)', { source: 'graph', status: 503 }),
					),
			}),
		);
		await expect(adding).rejects.toMatchObject({ status: 503, retryable: true });
	});
});
