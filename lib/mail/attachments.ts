import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import { errorMessage, failureClass, isMailIntelError, MailIntelError } from '../errors';
import { attachmentNames } from './filename';
import {
	AttachmentTooLargeError,
	drainPart,
	IN_MEMORY_PART_BYTES,
	readPart,
	type PartReading,
	type SizeCap,
} from './part-reader';
import { skipReasonFor, type AttachmentPolicy } from './policy';
import type { AttachmentInfo, AttachmentSkipReason } from './types';

/**
 * The one attachment pipeline. MIME parsing (IMAP, Gmail, .eml files) and Graph's JSON mapping
 * both describe each part here and hand over its bytes; this file decides the rest in one
 * place: the safe filename, keep or skip by policy, the size cap, SHA-256, the sink, and what a
 * failure means.
 *
 * Failure classes (lib/errors.ts failureClass):
 * - permanent for this part (undecodable MIME, the provider answers 403/404 for it): the part
 *   is listed with `skipped: "error"` and `error: {code, message}`, the message is still built;
 * - transient (network, timeout, 5xx/429 after the transport's retries, a sink write, a cut
 *   stream): the whole fetch rejects with a retryable MailIntelError, so the trigger fetches the
 *   message again from the same cursor. A transient failure is not a property of the message;
 *   recording it would tell a scan step downstream "nothing to scan". Only when the caller says
 *   the retries are spent (`recordTransientFailures`) is it recorded, as `RETRIES_EXHAUSTED`.
 */

/**
 * Receives the decoded bytes of one kept attachment and stores them somewhere (memory,
 * n8n's binary data store). It must consume `content`; if `content` errors (the size cap
 * or a decoding failure) the sink must reject and clean up what it wrote.
 */
export type AttachmentSink<T> = ((info: AttachmentInfo, content: Readable) => Promise<T>) & {
	/**
	 * Optional: stores bytes that are already in memory (a parse thread's attachment, a raw
	 * source) without a stream around them. n8n's binary helpers take a Buffer as it is; a
	 * stream costs them several times more per attachment.
	 */
	fromBuffer?: (info: AttachmentInfo, data: Buffer) => Promise<T>;
};

/** Stores in-memory bytes through the sink's Buffer path when it has one, else as a stream. */
export function storeBuffer<T>(
	sink: AttachmentSink<T>,
	info: AttachmentInfo,
	data: Buffer,
): Promise<T> {
	return sink.fromBuffer ? sink.fromBuffer(info, data) : sink(info, Readable.from([data]));
}

export interface KeptAttachment<T> {
	/** `attachment_0`, `attachment_1`, ...: the n8n binary property name. */
	binaryProperty: string;
	info: AttachmentInfo;
	stored: T;
}

export interface BufferedAttachment {
	data: Buffer;
	fileName: string;
	mimeType: string;
}

/** Keeps everything in memory: for tests, previews and small messages. */
export const bufferSink: AttachmentSink<BufferedAttachment> = Object.assign(
	async (info: AttachmentInfo, content: Readable) => {
		const chunks: Buffer[] = [];
		for await (const chunk of content) chunks.push(chunk as Buffer);
		return bufferedAttachment(info, Buffer.concat(chunks));
	},
	{ fromBuffer: async (info: AttachmentInfo, data: Buffer) => bufferedAttachment(info, data) },
);

function bufferedAttachment(info: AttachmentInfo, data: Buffer): BufferedAttachment {
	return { data, fileName: info.filename, mimeType: info.contentType };
}

/** What a producer knows about a part before its bytes are read. */
export interface PartDescription {
	id: string;
	/** The filename exactly as sent (sanitized here). */
	filename?: string | null;
	/** The DECLARED Content-Type; lower-cased and stripped of parameters here. */
	contentType: string;
	disposition?: 'attachment' | 'inline';
	inline: boolean;
	contentId?: string;
	/** The provider's size figure, kept when the bytes are never read. */
	size?: number;
	kind?: string;
}

/** How a producer hands over one part's bytes. */
export interface PartBytes {
	/** Opens the decoded bytes (Graph: a download; MIME: the parser's part stream). */
	open: () => Readable | Promise<Readable>;
	/**
	 * MIME: the parser waits until each part is read, so a skipped or failed part is read to its
	 * end (its size and hash are then known too). Otherwise the stream is destroyed.
	 */
	readToEnd: boolean;
	/** The hash the producer computed itself (mailparser does); else this pipeline hashes. */
	checksum?: () => string | undefined;
	/**
	 * The whole decoded part, already in memory and hashed (the MIME walker): kept or skipped
	 * without a stream; `open` is then not called.
	 */
	decoded?: { data: Buffer; checksum: string };
	/** What an error of the bytes themselves means for this producer (decode error vs cut download). */
	streamFailure: (error: unknown) => MailIntelError;
	/** A skip the producer decides before the policy (Graph: an attachment kind it never downloads). */
	skip?: AttachmentSkipReason;
}

export interface PipelineOptions<T> {
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** Record transient failures as `RETRIES_EXHAUSTED` instead of rejecting (see the file comment). */
	recordTransientFailures?: boolean;
}

export class AttachmentPipeline<T> {
	/** Every part, kept or not, in message order: the item's `attachments[]`. */
	readonly infos: AttachmentInfo[] = [];
	/** The parts stored through the sink. */
	readonly kept: KeptAttachment<T>[] = [];
	private readonly sink: AttachmentSink<T>;
	/** Parts holding a binary property now: the next one's number (no scan per part: 10,000 parts). */
	private numbered = 0;

	constructor(private readonly options: PipelineOptions<T>) {
		this.sink = (options.sink ?? bufferSink) as AttachmentSink<T>;
	}

	/** Lists a part with its safe name and declared type. */
	describe(part: PartDescription): AttachmentInfo {
		const contentType = declaredType(part.contentType);
		const names = attachmentNames(part.filename, contentType, this.infos.length);
		// Built field by field (the order the item shows them) rather than from spread objects:
		// four fewer objects per part on a message of 10,000 parts.
		const info = { id: part.id, filename: names.filename } as AttachmentInfo;
		if (names.originalFilename !== undefined) info.originalFilename = names.originalFilename;
		info.contentType = contentType;
		if (part.disposition) info.disposition = part.disposition;
		info.size = part.size ?? 0;
		info.inline = part.inline;
		if (part.contentId) info.contentId = part.contentId;
		if (part.kind) info.kind = part.kind;
		this.infos.push(info);
		return info;
	}

	/**
	 * Keeps or skips one described part. Resolves when the part is settled (stored, skipped or
	 * recorded as failed); rejects with a retryable MailIntelError on a transient failure.
	 */
	add(info: AttachmentInfo, content: PartBytes): Promise<void> {
		// Not an async function, and no await for a part already decoded: on a message of 10,000
		// parts each layer of promises per part was measurable garbage (sampled allocations).
		try {
			const skip = content.skip ?? skipReasonFor(info, this.options.policy);
			if (!skip)
				return content.decoded ? this.keepDecoded(info, content.decoded) : this.read(info, content);
			info.skipped = skip;
			if (content.decoded) {
				info.size = content.decoded.data.length;
				info.sha256 = content.decoded.checksum;
				return SETTLED;
			}
			return content.readToEnd ? this.drainSkipped(info, content) : SETTLED;
		} catch (error) {
			return Promise.reject(error);
		}
	}

	/** A skipped part the producer waits on: read to its end (its size and hash are then known too). */
	private async drainSkipped(info: AttachmentInfo, content: PartBytes): Promise<void> {
		// The bytes read so far are what we know; the hash is whole when the part ended cleanly.
		const drained = await drainPart(await content.open());
		info.size = drained.bytes;
		const sum = content.checksum?.();
		if (sum && drained.complete) info.sha256 = sum;
	}

	/**
	 * A part decoded in memory: what read() does with a part stream that ended cleanly (the
	 * size cap, then the sink, then size and hash), without the stream.
	 */
	private keepDecoded(
		info: AttachmentInfo,
		{ data, checksum }: { data: Buffer; checksum: string },
	): Promise<void> {
		info.size = data.length;
		info.sha256 = checksum;
		if (data.length > this.options.policy.maxAttachmentBytes) {
			info.skipped = 'size';
			return SETTLED;
		}
		const binaryProperty = `attachment_${this.numbered++}`;
		info.binaryProperty = binaryProperty;
		// Kept parts are numbered without gaps (see read()).
		return this.storeDecoded(binaryProperty, info, data).then(this.renumber);
	}

	/** After storeDecoded: a part that was not stored gives its number back. */
	private readonly renumber = (stored: boolean): void => {
		if (!stored) this.numbered--;
	};

	/**
	 * Stores decoded bytes (hashed, `info` complete) through the sink under `binaryProperty`:
	 * a part decoded here or by a parse thread (whose item already lists `info`). A sink failure
	 * is recorded on `info` like read()'s; returns whether the bytes were stored.
	 */
	async storeDecoded(binaryProperty: string, info: AttachmentInfo, data: Buffer): Promise<boolean> {
		try {
			const stored = await storeBuffer(this.sink, info, data);
			this.kept.push({ binaryProperty, info, stored });
			return true;
		} catch (error) {
			delete info.binaryProperty;
			delete info.sha256;
			this.fail(info, sinkFailure(info, error));
			return false;
		}
	}

	private async read(info: AttachmentInfo, content: PartBytes): Promise<void> {
		// Parts are read one at a time (the parser waits for each), so a failed part's number is
		// given to the next kept one: kept parts are attachment_0..n without gaps.
		const binaryProperty = `attachment_${this.numbered++}`;
		info.binaryProperty = binaryProperty;
		let source: Readable | undefined;
		let reading: PartReading | undefined;
		try {
			try {
				source = await content.open();
			} catch (error) {
				throw contentFailure(error, content);
			}
			const hash = content.checksum ? undefined : hashing(source);
			reading = readPart(
				source,
				this.options.policy.maxAttachmentBytes,
				this.sink.fromBuffer ? IN_MEMORY_PART_BYTES : 0,
			);
			let data: Awaited<PartReading['content']>;
			try {
				data = await reading.content;
			} catch (error) {
				throw contentFailure(error, content);
			}
			let spilled: SizeCap | undefined;
			let streamError: unknown;
			let stored: T;
			try {
				if ('data' in data) {
					stored = await storeBuffer(this.sink, info, data.data);
				} else {
					spilled = data.stream;
					spilled.once('error', (error) => (streamError ??= error));
					stored = await this.sink(info, spilled);
				}
			} catch (error) {
				if (spilled) source.unpipe(spilled);
				// A streaming sink fails when the bytes it reads fail (size cap, decoding, a cut
				// download): judge those; only a failure of the sink's own is a storage failure.
				throw streamError === undefined
					? sinkFailure(info, error)
					: contentFailure(streamError, content);
			}
			info.size = reading.bytes;
			info.sha256 = content.checksum ? content.checksum() : hash!();
			this.kept.push({ binaryProperty, info, stored });
		} catch (error) {
			delete info.binaryProperty;
			this.numbered--;
			const tooLarge = error instanceof AttachmentTooLargeError;
			let complete = false;
			if (source && content.readToEnd) {
				complete = (await drainPart(source)).complete;
				// readPart keeps counting after it settled: this is every byte the part had.
				if (reading) info.size = reading.bytes;
			} else {
				source?.destroy();
			}
			if (tooLarge) {
				info.skipped = 'size';
				// mailparser hashes the whole decoded part as it streams: an over-size part read to
				// its end still gets its SHA-256 (useful for threat-intel lookups without the bytes).
				const sum = content.checksum?.();
				if (complete && sum) info.sha256 = sum;
				return;
			}
			this.fail(info, error as MailIntelError);
		}
	}

	/** Records a permanent failure on the part; a transient one rejects unless retries are spent. */
	private fail(info: AttachmentInfo, error: MailIntelError): void {
		if (failureClass(error) === 'permanent') {
			info.skipped = 'error';
			info.error = { code: failureCode(error), message: error.message };
			return;
		}
		if (this.options.recordTransientFailures) {
			info.skipped = 'error';
			info.error = {
				code: 'RETRIES_EXHAUSTED',
				message: `${error.message} (still failing after the retries; recorded, not retried again)`,
			};
			return;
		}
		throw retryable(error);
	}
}

/** What add() returns for a part settled without waiting. */
const SETTLED: Promise<void> = Promise.resolve();

/** One code per HTTP answer whichever provider gave it (Graph says `ErrorItemNotFound`, Gmail `notFound`). */
const STATUS_CODES: Record<number, string> = { 403: 'FORBIDDEN', 404: 'NOT_FOUND', 410: 'GONE' };

function failureCode(error: MailIntelError): string {
	return (error.status !== undefined && STATUS_CODES[error.status]) || error.code || 'ERROR';
}

/** `Application/PDF; name="x"` -> `application/pdf`. */
export function declaredType(value: string): string {
	const semicolon = value.indexOf(';');
	return (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
}

/** The same error, marked retryable when it is not (a 5xx the transport gave up on). */
export function retryable(error: MailIntelError): MailIntelError {
	if (error.retryable) return error;
	return new MailIntelError(error.message, {
		source: error.source,
		status: error.status,
		code: error.code,
		requestId: error.requestId,
		retryable: true,
		retryAfterMs: error.retryAfterMs,
		field: error.field,
		hint: error.hint,
		cause: error,
	});
}

/** What a failure of the part's bytes is: the size cap as it is, anything else as the producer says. */
function contentFailure(
	error: unknown,
	content: PartBytes,
): MailIntelError | AttachmentTooLargeError {
	if (error instanceof AttachmentTooLargeError || isMailIntelError(error)) return error;
	return content.streamFailure(error);
}

function sinkFailure(info: AttachmentInfo, error: unknown): MailIntelError {
	return new MailIntelError(
		`Could not store attachment "${info.filename}": ${errorMessage(error)}`,
		{
			source: 'mail',
			code: 'SINK_WRITE',
			retryable: true,
			hint: 'Check the binary data storage (disk space, S3 access); the message is fetched again on the next poll.',
			cause: error,
		},
	);
}

/** Hashes every chunk the stream emits; the digest is taken once, after the stream ended. */
function hashing(source: Readable): () => string {
	const hash = createHash('sha256');
	source.on('data', (chunk: Buffer) => hash.update(chunk));
	return () => hash.digest('hex');
}
