import { Readable } from 'node:stream';

import { isMailIntelError } from '../../../../lib/errors';
import { splitRawMessage } from '../../../../lib/providers/gmail/raw-message';

/** What Gmail sends for format=raw, members in Gmail's order (raw before internalDate). */
function answer(source: Buffer, snippet = 'hello'): Buffer {
	return Buffer.from(
		`{"id":"18c0000000000001","threadId":"18c0000000000001","labelIds":["INBOX","Label_7"],` +
			`"snippet":${JSON.stringify(snippet)},"sizeEstimate":${source.length},` +
			`"raw":"${source.toString('base64url')}","historyId":"100123","internalDate":"1764547200000"}`,
	);
}

async function collect(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/** The body in pieces of `size` bytes, as a network would cut it. */
function pieces(body: Buffer, size: number): Readable {
	const parts: Buffer[] = [];
	for (let i = 0; i < body.length; i += size) parts.push(body.subarray(i, i + size));
	return Readable.from(parts);
}

describe('splitRawMessage (format=raw decoded as it arrives)', () => {
	const source = Buffer.concat([
		Buffer.from('Subject: caf\u00e9 \u2713\r\nFrom: a@example.net\r\n\r\n'),
		Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256)),
	]);

	it.each([1, 3, 7, 64, 100_000])(
		'gives the exact source bytes and the metadata, whatever the chunk size (%i bytes)',
		async (size) => {
			const { source: decoded, meta } = splitRawMessage(
				pieces(answer(source, 'snippet with "raw":"decoy" in it \u00e9'), size),
			);
			expect((await collect(decoded)).equals(source)).toBe(true);
			expect(await meta).toMatchObject({
				id: '18c0000000000001',
				labelIds: ['INBOX', 'Label_7'],
				historyId: '100123',
				internalDate: '1764547200000',
				snippet: 'snippet with "raw":"decoy" in it \u00e9',
			});
		},
	);

	it('a body cut inside the source fails the source stream and the metadata, retryably', async () => {
		const whole = answer(source);
		const cut = new Readable({
			read() {
				this.push(whole.subarray(0, 400));
				this.destroy(new Error('socket hang up'));
			},
		});
		const { source: decoded, meta } = splitRawMessage(cut);
		await expect(collect(decoded)).rejects.toThrow();
		await expect(meta).rejects.toThrow();
	});

	it('an answer without a raw member is refused, naming the API base URL to check', async () => {
		const { source: decoded, meta } = splitRawMessage(Readable.from([Buffer.from('{"id":"x"}')]));
		await expect(collect(decoded)).rejects.toThrow();
		const error = await meta.catch((caught: unknown) => caught);
		expect(isMailIntelError(error) && error.code).toBe('BAD_RAW_MESSAGE');
	});
});
