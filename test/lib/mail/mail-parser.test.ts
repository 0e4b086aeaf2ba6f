import { MailParser } from 'mailparser';
import type { Readable } from 'node:stream';

import { LeanMailParser } from '../../../lib/mail/mail-parser';
import { FIXTURES } from '../../fixtures/generate';
import { EDGE_SHAPES, INLINE_FORWARD, MANY_ADDRESS_SHAPES } from '../../fixtures/mime-shapes';
import { deepNesting, lessThanHtml, manyAddresses, manyParts } from '../../fixtures/pathological';

// LeanMailParser only takes costs out of mailparser (address renderings built on first read,
// one event-loop turn per chunk, finished parts' streams let go): whatever it emits must be what
// mailparser emits for the same source. Each source goes through both and the outputs are
// compared whole — headers with every address rendering, text, html, every part and its hash.

jest.setTimeout(120_000);

const OPTIONS = {
	checksumAlgo: 'sha256',
	skipImageLinks: true,
	skipTextToHtml: true,
	skipTextLinks: true,
	maxHeadSize: 4 * 1024 * 1024,
	maxChildNodes: 16_384,
} as ConstructorParameters<typeof MailParser>[0];

interface Output {
	headers: Record<string, unknown>;
	text?: string;
	html?: string | false;
	parts: Array<Record<string, unknown>>;
}

/** Everything the parser emits, with the address renderings read out (they are lazy in ours). */
async function run(Parser: typeof MailParser, source: Buffer): Promise<Output> {
	const parser = new Parser(OPTIONS);
	const output: Output = { headers: {}, parts: [] };
	parser.on('headers', (headers: Map<string, unknown>) => {
		for (const [key, value] of headers) output.headers[key] = plain(value);
	});
	parser.on('data', (data: Record<string, unknown>) => {
		if (data.type === 'text') {
			output.text = data.text as string;
			output.html = data.html as string | false;
			return;
		}
		const content = data.content as Readable;
		const chunks: Buffer[] = [];
		content.on('data', (chunk: Buffer) => chunks.push(chunk));
		content.on('end', () => {
			output.parts.push({
				partId: data.partId,
				contentType: data.contentType,
				filename: data.filename,
				contentDisposition: data.contentDisposition,
				contentId: data.contentId,
				related: data.related,
				checksum: data.checksum,
				size: data.size,
				bytes: Buffer.concat(chunks).toString('base64'),
			});
			(data.release as () => void)();
		});
	});
	await new Promise<void>((resolve, reject) => {
		parser.on('end', () => resolve());
		parser.on('error', reject);
		parser.end(source);
	});
	return output;
}

/** A header value as plain data: address objects with their html and text read. */
function plain(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(plain);
	if (
		value &&
		typeof value === 'object' &&
		'value' in value &&
		'html' in value &&
		'text' in value
	) {
		const address = value as { value: unknown; html: string; text: string };
		return { value: address.value, html: address.html, text: address.text };
	}
	return value;
}

async function expectSameOutput(source: Buffer): Promise<void> {
	const ours = await run(LeanMailParser as unknown as typeof MailParser, source);
	const theirs = await run(MailParser, source);
	// mailparser sets an unparsable Date header to `new Date()`, the moment it read it: that
	// differs between two parses, so it is compared as "the parse time" (the fixtures' own dates
	// are years away from now).
	for (const output of [ours, theirs])
		if (
			output.headers.date instanceof Date &&
			Math.abs(output.headers.date.getTime() - Date.now()) < 60_000
		)
			output.headers.date = 'the parse time';
	expect(ours).toEqual(theirs);
}

describe('LeanMailParser emits what mailparser emits', () => {
	it.each(Object.keys(FIXTURES))('fixture %s', async (name) => {
		await expectSameOutput(FIXTURES[name].build());
	});

	it.each(Object.keys(EDGE_SHAPES))('%s', async (name) => {
		await expectSameOutput(EDGE_SHAPES[name]());
	});

	it('an inline message/rfc822 (its address lines rendered into text and html)', async () => {
		await expectSameOutput(INLINE_FORWARD);
		const ours = await run(LeanMailParser as unknown as typeof MailParser, INLINE_FORWARD);
		// The renderings are there, so the comparison above did look at them.
		expect(ours.text).toContain('From: ');
		expect(ours.html).toContain('mp_address_email');
	});

	it('repeated and mixed address headers', async () => {
		await expectSameOutput(MANY_ADDRESS_SHAPES);
	});

	it('the pathological shapes, scaled down', async () => {
		await expectSameOutput(manyParts(300));
		await expectSameOutput(manyAddresses(3_000));
		await expectSameOutput(deepNesting(60));
		await expectSameOutput(lessThanHtml(20_000));
	});
});
