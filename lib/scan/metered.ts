import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Thrown into the stream when more bytes arrive than the size cap allows. */
export class OverSizeError extends Error {
	readonly code = 'OVER_SIZE';
	constructor(readonly maxBytes: number) {
		super(`the file is larger than the size cap of ${maxBytes} bytes`);
		this.name = 'OverSizeError';
	}
}

/**
 * The bytes on their way to an engine, measured as they pass: length, SHA-256 (unless the file's
 * hash is already known) and the size cap enforced on what really flows (a declared size can
 * lie). Streams; holds no file.
 */
export class MeteredStream extends Transform {
	/** Undefined when the caller knows the hash: hashing costs about a tenth of a scan's CPU. */
	private readonly hash?: Hash;
	private bytes = 0;
	private digest?: string;
	/** True once the cap was passed: the engine's failure is then "too large", not the engine's fault. */
	exceeded = false;

	constructor(
		private readonly maxBytes: number | undefined,
		options: { hash?: boolean } = {},
	) {
		super();
		if (options.hash !== false) this.hash = createHash('sha256');
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
		this.bytes += chunk.length;
		if (this.maxBytes !== undefined && this.bytes > this.maxBytes) {
			this.exceeded = true;
			return done(new OverSizeError(this.maxBytes));
		}
		this.hash?.update(chunk);
		done(null, chunk);
	}

	override _flush(done: TransformCallback): void {
		this.digest = this.hash?.digest('hex');
		done();
	}

	get size(): number {
		return this.bytes;
	}

	/** Hex SHA-256 once every byte has passed; undefined before, or when not hashing. */
	get sha256(): string | undefined {
		return this.digest;
	}
}
