import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes on in slices of at most `size` (views, no copy). imapflow hands a streamed
 * message over in 1 MB pieces; mailparser turns each piece into strings of the same size,
 * which V8 keeps in its large-object space until a full GC. Small slices stay small objects
 * that the cheap young-generation GC frees, so a 200 MB attachment never swells the heap.
 */
export class Rechunk extends Transform {
	constructor(private readonly size: number) {
		super();
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		for (let offset = 0; offset < chunk.length; offset += this.size)
			this.push(chunk.subarray(offset, offset + this.size));
		callback();
	}
}
