import { Readable } from 'node:stream';

import { Rechunk } from '../../../lib/util/rechunk';

test('passes every byte on, in order, in slices of at most the given size', async () => {
	const data = Buffer.alloc(1024 * 1024 + 17);
	for (let i = 0; i < data.length; i++) data[i] = (i * 13) % 256;
	const source = Readable.from([data.subarray(0, 300_000), data.subarray(300_000)]);
	const sizes: number[] = [];
	const out: Buffer[] = [];
	// Flowing mode, as pipe() and pipeline() deliver to the parser (an async iterator would
	// read() the buffered slices back into one).
	await new Promise<void>((resolve, reject) => {
		const sliced = source.pipe(new Rechunk(64 * 1024));
		sliced.on('data', (chunk: Buffer) => {
			sizes.push(chunk.length);
			out.push(chunk);
		});
		sliced.on('end', resolve);
		sliced.on('error', reject);
	});
	expect(Math.max(...sizes)).toBe(64 * 1024);
	expect(Buffer.concat(out).equals(data)).toBe(true);
});
