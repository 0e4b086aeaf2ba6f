import { Readable } from 'node:stream';

import { Rechunk } from '../../../lib/util/rechunk';

test('passes every byte on, in order, in slices of at most the given size', async () => {
	const data = Buffer.alloc(1024 * 1024 + 17);
	for (let i = 0; i < data.length; i++) data[i] = (i * 13) % 256;
	const source = Readable.from([data.subarray(0, 300_000), data.subarray(300_000)]);
	const sizes: number[] = [];
	const out: Buffer[] = [];
	for await (const chunk of source.pipe(new Rechunk(64 * 1024))) {
		sizes.push((chunk as Buffer).length);
		out.push(chunk as Buffer);
	}
	expect(Math.max(...sizes)).toBe(64 * 1024);
	expect(Buffer.concat(out).equals(data)).toBe(true);
});
