import { finished, Transform, type Readable, type TransformCallback } from 'node:stream';

export class AttachmentTooLargeError extends Error {
	constructor(readonly limit: number) {
		super(`attachment exceeds the ${limit}-byte size cap`);
		this.name = 'AttachmentTooLargeError';
	}
}

/** Counts decoded bytes and fails the stream once the cap is passed, so a sink never holds more. */
export class SizeCap extends Transform {
	bytes = 0;
	constructor(private readonly limit: number) {
		super();
	}
	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.bytes += chunk.length;
		if (this.bytes > this.limit) callback(new AttachmentTooLargeError(this.limit));
		else callback(null, chunk);
	}
}

/**
 * Parts up to this size are gathered in memory and handed to the sink as one Buffer. A stream
 * (plus a size-cap stage) per part costs more than the bytes of a typical attachment are
 * worth: measured, ~5% of the whole parse of a message with two small attachments. Larger
 * parts are streamed, so a 200 MB attachment never sits whole in the heap.
 */
export const IN_MEMORY_PART_BYTES = 1024 * 1024;

/** A decoded part: its bytes when it ended within `spillAt`, else a capped stream of it. */
export type PartContent = { data: Buffer } | { stream: SizeCap };

export interface PartReading {
	content: Promise<PartContent>;
	/** Decoded bytes read from the part so far (whatever happens downstream). */
	readonly bytes: number;
}

/**
 * Starts reading a decoded attachment stream. `content` rejects with AttachmentTooLargeError
 * once more than `limit` bytes were read in memory, and with the part's own error if
 * decoding fails; a spilled stream fails the same ways.
 */
export function readPart(
	part: Readable,
	limit: number,
	spillAt: number = IN_MEMORY_PART_BYTES,
): PartReading {
	let bytes = 0;
	const chunks: Buffer[] = [];
	let settled = false;
	const count = (chunk: Buffer) => (bytes += chunk.length);
	const reading: PartReading = {
		get bytes() {
			return bytes;
		},
		content: new Promise<PartContent>((resolve, reject) => {
			const settle = (outcome: () => void) => {
				if (settled) return;
				settled = true;
				// Bytes are still counted after this: a failed part reports how far it got.
				part.off('data', gather).on('data', count);
				outcome();
			};
			const gather = (chunk: Buffer) => {
				bytes += chunk.length;
				chunks.push(chunk);
				if (bytes > limit) {
					chunks.length = 0;
					settle(() => reject(new AttachmentTooLargeError(limit)));
					part.pause();
				} else if (bytes > spillAt) {
					settle(() => resolve({ stream: spill(part, chunks, limit) }));
				}
			};
			part.on('data', gather);
			part.once('end', () => settle(() => resolve({ data: joined(chunks, bytes) })));
			part.once('error', (error) => settle(() => reject(error)));
		}),
	};
	return reading;
}

/** From here on the part is streamed: what was gathered first, then the rest with backpressure. */
function spill(part: Readable, gathered: Buffer[], limit: number): SizeCap {
	part.pause();
	const cap = new SizeCap(limit);
	for (const chunk of gathered) cap.write(chunk);
	gathered.length = 0;
	part.on('error', (error) => cap.destroy(error));
	part.pipe(cap);
	return cap;
}

function joined(chunks: Buffer[], length: number): Buffer {
	return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
}

/**
 * Reads a part to its end without keeping it: the bytes read from here on, and whether the
 * part ended cleanly (false when decoding failed on the way).
 */
export function drainPart(part: Readable): Promise<{ bytes: number; complete: boolean }> {
	let bytes = 0;
	return new Promise((resolve) => {
		part.on('data', (chunk: Buffer) => (bytes += chunk.length));
		finished(part, (error) => resolve({ bytes, complete: !error }));
		part.resume();
	});
}
