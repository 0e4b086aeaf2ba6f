import { createRequire } from 'node:module';
import { Readable, type Transform } from 'node:stream';

import { LeanMailParser } from '../../../lib/mail/mail-parser';
import { parseEmail, type EmailIdentity, type ParseOptions } from '../../../lib/mail/parse';
import { decodeTransfer } from '../../../lib/mail/part-body';
import { DEFAULT_POLICY, type AttachmentPolicy } from '../../../lib/mail/policy';
import { FIXTURES } from '../../fixtures/generate';
import { EDGE_SHAPES, INLINE_FORWARD, MANY_ADDRESS_SHAPES } from '../../fixtures/mime-shapes';
import { MAX_MIME_DEPTH } from '../../../lib/mail/mime-depth';
import {
	deepNesting,
	deepNestingBetweenParts,
	embeddedMessageChain,
	lessThanHtml,
	manyAddresses,
	manyParts,
	parenDateHeader,
} from '../../fixtures/pathological';

// parseEmail reads a source held in memory with the MIME walker (mime-walker.ts) and a stream
// with LeanMailParser; mail-parser.test.ts shows LeanMailParser emits what stock mailparser
// emits. Here the same bytes go through both paths (as a Buffer, and as a stream of the same
// Buffer) and the whole results are compared: every header field, text, html, every
// attachment's id, sanitized name, declared type, disposition, size, SHA-256, skip reason or
// error, binary property, and the stored bytes.

jest.setTimeout(180_000);

const identity: EmailIdentity = {
	provider: 'imap',
	account: 'alice',
	mailbox: 'INBOX',
	id: '1:1',
	locator: 'imap://alice@mail.example.com:993/INBOX;UIDVALIDITY=1/;UID=1',
	receivedAt: '2024-04-01T10:00:00Z',
};

/** Keeps everything, inline parts too, and skips anything over 40 bytes by size. */
const KEEP_ALL_SMALL: AttachmentPolicy = {
	mimeTypes: ['*/*'],
	includeInline: true,
	maxAttachmentBytes: 40,
	maxTextChars: 4 * 1024 * 1024,
};

async function bothWays(source: Buffer, options: ParseOptions<unknown>) {
	const walked = await parseEmail(source, identity, options);
	const streamed = await parseEmail(Readable.from([source]), identity, options);
	return { walked, streamed };
}

async function expectSameItems(source: Buffer): Promise<void> {
	for (const policy of [DEFAULT_POLICY, KEEP_ALL_SMALL]) {
		const { walked, streamed } = await bothWays(source, { policy, keepRaw: true });
		expect(walked.email).toEqual(streamed.email);
		expect(walked.attachments).toEqual(streamed.attachments);
		// A Buffer source is returned as raw; a stream has no raw to return.
		expect(walked.raw).toBe(source);
	}
}

describe('the walker gives the items LeanMailParser gives', () => {
	it.each(Object.keys(FIXTURES))('fixture %s', async (name) => {
		await expectSameItems(FIXTURES[name].build());
	});

	it.each(Object.keys(EDGE_SHAPES))('%s', async (name) => {
		await expectSameItems(EDGE_SHAPES[name]());
	});

	it('an inline forwarded message and mixed address headers', async () => {
		await expectSameItems(INLINE_FORWARD);
		await expectSameItems(MANY_ADDRESS_SHAPES);
		// The comparison did look at the embedded message's printed headers.
		const { walked } = await bothWays(INLINE_FORWARD, { policy: DEFAULT_POLICY });
		expect(walked.email.text).toContain('From: ');
	});

	it('the pathological shapes, scaled down', async () => {
		await expectSameItems(manyParts(500));
		await expectSameItems(manyAddresses(3_000));
		await expectSameItems(deepNesting(80));
		await expectSameItems(parenDateHeader(20_000));
		await expectSameItems(lessThanHtml(20_000));
	});

	it('at and past the nesting limit both read the same parts and flag the same items', async () => {
		// Below, at and above MAX_MIME_DEPTH (100) for each way of nesting: multiparts, inline
		// embedded messages, and an over-deep subtree between ordinary parts.
		const sources = [
			deepNesting(MAX_MIME_DEPTH),
			deepNesting(MAX_MIME_DEPTH + 1),
			deepNesting(1_000),
			embeddedMessageChain(MAX_MIME_DEPTH),
			embeddedMessageChain(MAX_MIME_DEPTH + 1),
			embeddedMessageChain(300),
			deepNestingBetweenParts(MAX_MIME_DEPTH - 1),
			deepNestingBetweenParts(MAX_MIME_DEPTH),
			deepNestingBetweenParts(1_000),
		];
		for (const source of sources) await expectSameItems(source);
		// The comparison did compare limited items (and unlimited ones).
		const flagged = [];
		for (const source of sources) {
			const { walked } = await bothWays(source, { policy: DEFAULT_POLICY });
			flagged.push(walked.email.parseError !== undefined);
		}
		expect(flagged).toEqual([false, true, true, false, true, true, false, true, true]);
	});

	it('a failing sink: the same retryable error, or with the retries spent the same recorded failures', async () => {
		const failing = Object.assign(
			async () => {
				throw new Error('disk full');
			},
			{
				fromBuffer: async () => {
					throw new Error('disk full');
				},
			},
		);
		const source = FIXTURES['attachments-mixed-types.eml'].build();
		const options = { policy: DEFAULT_POLICY, sink: failing };
		const walked = parseEmail(source, identity, options);
		await expect(walked).rejects.toMatchObject({ code: 'SINK_WRITE', retryable: true });
		const streamed = parseEmail(Readable.from([source]), identity, options);
		await expect(streamed).rejects.toMatchObject({ code: 'SINK_WRITE', retryable: true });

		const recorded = await bothWays(source, { ...options, recordTransientFailures: true });
		expect(recorded.walked.email).toEqual(recorded.streamed.email);
		expect(
			recorded.walked.email.attachments.some((a) => a.error?.code === 'RETRIES_EXHAUSTED'),
		).toBe(true);
	});

	it('past the part limit both give a parseError item with the same reason; the walker stores no part of it', async () => {
		const source = manyParts(17_000);
		const { walked, streamed } = await bothWays(source, { policy: DEFAULT_POLICY });
		expect(walked.email.parseError).toMatch(/child nodes/);
		expect(walked.email.parseError).toBe(streamed.email.parseError);
		expect(walked.raw?.equals(source)).toBe(true);
		// LeanMailParser hands over the parts it reached before its splitter failed (a few
		// dozen, depending on timing); the walker splits first, so nothing is stored.
		expect(walked.email.attachments).toEqual([]);
		expect(walked.attachments).toEqual([]);
	});

	it('a failure while reading a part is a parseError item with the raw source, not an uncaught exception', async () => {
		// The walker reads parts from the splitter's own event-loop turns; nothing in mail is
		// known to make header parsing throw, so a throw is forced where the walker calls it.
		const spy = jest
			.spyOn(LeanMailParser.prototype, 'processHeaders')
			.mockImplementationOnce(() => {
				throw new Error('forced header failure');
			});
		try {
			const source = FIXTURES['alternative.eml'].build();
			const parsed = await parseEmail(source, identity, { policy: DEFAULT_POLICY });
			expect(parsed.email.parseError).toBe(
				'could not parse the message as MIME: forced header failure',
			);
			expect(parsed.raw).toBe(source);
		} finally {
			spy.mockRestore();
		}
	});

	it('a sink without a Buffer path gets the same bytes as a stream', async () => {
		const streamOnly = async (_info: unknown, content: Readable) => {
			const chunks: Buffer[] = [];
			for await (const chunk of content) chunks.push(chunk as Buffer);
			return Buffer.concat(chunks);
		};
		const source = FIXTURES['related-inline-images.eml'].build();
		const { walked, streamed } = await bothWays(source, {
			policy: { ...DEFAULT_POLICY, mimeTypes: ['*/*'], includeInline: true },
			sink: streamOnly,
		});
		expect(walked.attachments.length).toBeGreaterThan(0);
		expect(walked.attachments).toEqual(streamed.attachments);
	});
});

/** The base64 decoder mailparser uses (mailsplit's libbase64), fed `chunks` one write each. */
const { Decoder } = createRequire(require.resolve('@zone-eu/mailsplit'))('libbase64') as {
	Decoder: new () => Transform;
};
async function libbase64Stream(chunks: Buffer[]): Promise<Buffer> {
	const decoder = new Decoder();
	const out: Buffer[] = [];
	decoder.on('data', (chunk: Buffer) => out.push(chunk));
	const ended = new Promise((resolve) => decoder.on('end', resolve));
	for (const chunk of chunks) decoder.write(chunk);
	decoder.end();
	await ended;
	return Buffer.concat(out);
}

describe('base64 decoded in one call equals libbase64 stream decoding in any chunking', () => {
	// The walker decodes a part's body at once; mailparser writes it to libbase64's Decoder
	// chunk by chunk. A seeded random walk over bodies with junk, padding in the middle and odd
	// tails, each cut at random points, checks the claim in part-body.ts.
	let seed = 7;
	const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
	const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n -_*!é';

	it('2,000 random bodies', async () => {
		for (let round = 0; round < 2_000; round++) {
			const length = Math.floor(random() * 200);
			let body = '';
			for (let i = 0; i < length; i++) body += ALPHABET[Math.floor(random() * ALPHABET.length)];
			const bytes = Buffer.from(body, 'utf8');
			const cuts = [0];
			for (let at = 0; at < bytes.length; at += 1 + Math.floor(random() * 40)) cuts.push(at);
			cuts.push(bytes.length);
			const chunks = cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end));
			const streamed = await libbase64Stream(chunks);
			expect(decodeTransfer(bytes, 'base64').toString('hex')).toBe(streamed.toString('hex'));
		}
	});
});
