import { createRequire } from 'node:module';

import { Splitter, type SplitterChunk } from '@zone-eu/mailsplit';

import { limitNesting } from '../../../lib/mail/mime-depth';
import {
	parseNodeHeaders,
	simpleStructured,
	useNodeHeaders,
	type SplitNode,
} from '../../../lib/mail/node-headers';
import { splitWhole } from '../../../lib/mail/split-whole';
import { FIXTURES } from '../../fixtures/generate';
import { EDGE_SHAPES, INLINE_FORWARD, MANY_ADDRESS_SHAPES } from '../../fixtures/mime-shapes';
import {
	deepNesting,
	deepNestingBetweenParts,
	embeddedMessageChain,
	lessThanHtml,
	manyAddresses,
	manyParts,
	parenDateHeader,
} from '../../fixtures/pathological';

// The MIME walker splits a source in memory with mailsplit's splitter driven line by line
// (split-whole.ts) and its own parseHeaders on every node (node-headers.ts). mime-walker.test.ts
// compares the walker's items with LeanMailParser's; here each of the two pieces is compared
// with the part of mailsplit it stands in for, on everything those tests know and on the
// splitter's own corner cases: every chunk, in order, with every field of every node.

jest.setTimeout(180_000);

const OPTIONS = { maxHeadSize: 4 * 1024 * 1024, maxChildNodes: 16_384 };

/** The MimeNode fields mailparser and the walker read, and the ones the splitter uses. */
const NODE_FIELDS = [
	'root',
	'contentType',
	'charset',
	'encoding',
	'disposition',
	'filename',
	'flowed',
	'delSp',
	'multipart',
	'rfc822',
	'messageNode',
	'partNr',
	'_parsedContentType',
	'_parsedContentDisposition',
	'_boundary',
	'_parentBoundary',
] as const;

/** A chunk as data: a node by its fields and header lines, bytes as latin1 text. */
function chunkRecord(chunk: SplitterChunk, nodes: Map<unknown, number>): unknown {
	if (chunk.type === 'node') {
		if (!nodes.has(chunk)) nodes.set(chunk, nodes.size);
		const node = chunk as unknown as Record<string, unknown> & { parentNode: unknown };
		return {
			node: nodes.get(chunk),
			parent: node.parentNode ? nodes.get(node.parentNode) : null,
			lines: (chunk.headers as unknown as { getList(): unknown }).getList(),
			...Object.fromEntries(NODE_FIELDS.map((field) => [field, node[field]])),
		};
	}
	return { type: chunk.type, node: nodes.get(chunk.node), value: chunk.value.toString('latin1') };
}

type Outcome = { chunks: unknown[]; error?: string; exceeded: boolean };

/** mailsplit as a stream, one write, with its own parseHeaders. */
function streamed(source: Buffer, options = OPTIONS): Promise<Outcome> {
	const splitter = new Splitter(options);
	const limit = limitNesting(splitter);
	const stream = splitter as unknown as NodeJS.ReadWriteStream;
	const nodes = new Map<unknown, number>();
	const chunks: unknown[] = [];
	return new Promise((resolve) => {
		stream.on('data', (chunk: SplitterChunk) => chunks.push(chunkRecord(chunk, nodes)));
		stream.once('end', () => resolve({ chunks, exceeded: limit.exceeded }));
		stream.once('error', (error: Error) =>
			resolve({ chunks, error: error.message, exceeded: limit.exceeded }),
		);
		stream.end(source);
	});
}

/** The walker's way: splitWhole, with node-headers.ts and the nesting limit on the splitter. */
async function whole(source: Buffer, options = OPTIONS): Promise<Outcome> {
	const splitter = new Splitter(options);
	useNodeHeaders(splitter);
	const limit = limitNesting(splitter);
	const nodes = new Map<unknown, number>();
	const chunks: unknown[] = [];
	try {
		await splitWhole(splitter, source, (chunk) => chunks.push(chunkRecord(chunk, nodes)));
	} catch (error) {
		return { chunks, error: (error as Error).message, exceeded: limit.exceeded };
	}
	return { chunks, exceeded: limit.exceeded };
}

async function expectSameSplit(source: Buffer, options = OPTIONS): Promise<void> {
	const expected = await streamed(source, options);
	const actual = await whole(source, options);
	// On a limit error the stream has emitted what it split before failing; splitWhole may
	// have handed over the same or fewer chunks (the walker drops them all then), never others.
	if (expected.error !== undefined) {
		expect(actual.error).toBe(expected.error);
		expect(expected.chunks.slice(0, actual.chunks.length)).toEqual(actual.chunks);
		return;
	}
	expect(actual).toEqual(expected);
}

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

/** The splitter's own corner cases: line ends, delimiters and where the source stops. */
const SPLIT_SHAPES: Record<string, Buffer> = {
	'no line ending at the end': crlf(['Subject: x', '', 'body without a line end']),
	'ends on a bare CR': Buffer.from('Subject: x\r\n\r\nbody\r', 'latin1'),
	'CR-only line ends': Buffer.from(
		'Subject: x\rContent-Type: multipart/mixed; boundary=b\r\r--b\rbody\r--b--\r',
		'latin1',
	),
	'headers only, no blank line': crlf(['Subject: x', 'X-A: y']),
	empty: Buffer.alloc(0),
	'the closing delimiter as the last bytes, without a line end': crlf([
		'Content-Type: multipart/mixed; boundary=b',
		'',
		'--b',
		'',
		'one',
		'--b--',
	]),
	'a boundary that is a prefix of another one': crlf([
		'Content-Type: multipart/mixed; boundary=a',
		'',
		'--a',
		'Content-Type: multipart/mixed; boundary=ab',
		'',
		'--ab',
		'Content-Type: text/plain',
		'',
		'inner --a- not a delimiter',
		'--ab',
		'',
		'second',
		'--a',
		'',
		'sibling of the inner multipart',
		'--abc',
		'--a--',
		'epilogue',
		'',
	]),
	'delimiters inside base64, with trailing spaces and with text after them': crlf([
		'Content-Type: multipart/mixed; boundary=b',
		'',
		'--b',
		'Content-Transfer-Encoding: base64',
		'',
		'LS1i',
		'--b ',
		'--bx',
		'--b-- trailing',
		'--b',
		'',
		'last',
		'--b--',
		'',
	]),
	'a part with headers only, closed by the parent': crlf([
		'Content-Type: multipart/mixed; boundary=b',
		'',
		'--b',
		'Content-Type: text/plain',
		'--b--',
		'',
	]),
	'a missing final delimiter and an empty part': crlf([
		'Content-Type: multipart/mixed; boundary=b',
		'',
		'preamble',
		'--b',
		'',
		'--b',
		'',
		'cut',
	]),
	'a line of 300 KB at the end, without a line end': Buffer.concat([
		crlf(['Content-Type: multipart/mixed; boundary=b', '', '--b', '', '']),
		Buffer.alloc(300 * 1024, 0x61),
	]),
	'a boundary longer than a line read in one piece, and delimiters 64 KB apart': Buffer.concat([
		crlf([
			`Content-Type: multipart/mixed; boundary="${'z'.repeat(70)}"`,
			'',
			`--${'z'.repeat(70)}`,
			'',
		]),
		Buffer.from(`${'y'.repeat(1000)}\r\n`.repeat(70), 'latin1'),
		crlf([`--${'z'.repeat(70)}`, '', 'two', `--${'z'.repeat(70)}--`, '']),
	]),
	'mbox From line and LF-only line ends': Buffer.from(
		'From sender@example.com Mon Jan 1 00:00:00 2024\nSubject: x\n\nbody\n',
		'latin1',
	),
};

describe('splitWhole hands over what the splitter stream emits', () => {
	it.each(Object.keys(FIXTURES))('fixture %s', async (name) => {
		await expectSameSplit(FIXTURES[name].build());
	});

	it.each(Object.keys(EDGE_SHAPES))('%s', async (name) => {
		await expectSameSplit(EDGE_SHAPES[name]());
	});

	it.each(Object.keys(SPLIT_SHAPES))('%s', async (name) => {
		await expectSameSplit(SPLIT_SHAPES[name]);
	});

	it('an inline forwarded message and mixed address headers', async () => {
		await expectSameSplit(INLINE_FORWARD);
		await expectSameSplit(MANY_ADDRESS_SHAPES);
	});

	it('the pathological shapes, scaled down, and nesting at and past the limit', async () => {
		await expectSameSplit(manyParts(2_000));
		await expectSameSplit(manyAddresses(3_000));
		await expectSameSplit(parenDateHeader(100_000));
		await expectSameSplit(lessThanHtml(100_000));
		for (const depth of [99, 100, 101, 150]) {
			await expectSameSplit(deepNesting(depth));
			await expectSameSplit(embeddedMessageChain(depth));
			await expectSameSplit(deepNestingBetweenParts(depth));
		}
		const past = await whole(deepNesting(150));
		expect(past.exceeded).toBe(true);
	});

	it('gives the event loop a turn while splitting a large source, not only at the end', async () => {
		const source = manyParts(4_000);
		let handed = 0;
		let handedWhenTurned = -1;
		setImmediate(() => (handedWhenTurned = handed));
		const splitter = new Splitter(OPTIONS);
		await splitWhole(splitter, source, () => handed++);
		expect(handedWhenTurned).toBeGreaterThan(0);
		expect(handedWhenTurned).toBeLessThan(handed);
	});

	it('the splitter limits fail the same way: too many parts, a header too large', async () => {
		await expectSameSplit(manyParts(40), { ...OPTIONS, maxChildNodes: 20 });
		const error = (await whole(manyParts(40), { ...OPTIONS, maxChildNodes: 20 })).error;
		expect(error).toMatch(/child nodes/);
		await expectSameSplit(manyAddresses(3_000), { ...OPTIONS, maxHeadSize: 10_000 });
	});
});

// ---------------------------------------------------------------------------------------------

const fromMailsplit = createRequire(require.resolve('@zone-eu/mailsplit'));
const MimeNode = fromMailsplit('./lib/mime-node') as new (
	parent: unknown,
	config: unknown,
) => SplitNode & { addHeaderChunk(line: Buffer): void };

/** A node's header fields after parseHeaders: mailsplit's own, or node-headers.ts's. */
function parsedFields(block: Buffer, own: boolean, parentType?: string): Record<string, unknown> {
	let parent: SplitNode | false = false;
	if (parentType) {
		parent = new MimeNode(false, {});
		(parent as unknown as { addHeaderChunk(line: Buffer): void }).addHeaderChunk(
			Buffer.from(`Content-Type: ${parentType}\r\n\r\n`),
		);
		parent.parseHeaders();
	}
	const node = new MimeNode(parent, {});
	node.addHeaderChunk(block);
	if (own) parseNodeHeaders.call(node);
	else node.parseHeaders();
	const record = node as unknown as Record<string, unknown>;
	return Object.fromEntries(
		[...NODE_FIELDS, 'headers'].map((field) => [
			field,
			field === 'headers' ? (record.headers as { getList(): unknown }).getList() : record[field],
		]),
	);
}

/** Header blocks aimed at every shortcut node-headers.ts takes, and at where it must not. */
const HEADER_BLOCKS: string[] = [
	'Content-Type: text/plain\r\n',
	'content-type:TEXT/Plain;charset="UTF-8"; format=Flowed; DelSp=Yes\r\n',
	'Content-Type: multipart/mixed;\r\n\tboundary="folded boundary"\r\n',
	'Content-Type: multipart/\r\n',
	'Content-Type: /x\r\n',
	'Content-Type: nothing-after\r\n',
	'Content-Type:\r\n',
	' Content-Type: starts folded\r\nContent-Type: text/html\r\n',
	'Content-Type: text/plain\r\nContent-Type: application/pdf\r\n',
	'Content-Disposition: attachment; filename="a.pdf"\r\n',
	'Content-Disposition: attachment; filename="no-type.csv"\r\n',
	'Content-Disposition: attachment; filename="no-extension"\r\n',
	'Content-Disposition: ATTACHMENT\r\n',
	'Content-Disposition: inline\r\n',
	'Content-Disposition: =?utf-8?Q?attachment?=; filename="=?utf-8?B?0L7RgtGH0ZHRgi5wZGY=?="\r\n',
	'Content-Disposition: attachment; filename="=?x-unknown?Q?a?="\r\n',
	'Content-Disposition: attachment; filename*0*=utf-8\'\'long%20name; filename*1=".bin"\r\n',
	'Content-Type: application/pdf; name="=?utf-8?Q?caf=C3=A9?=.pdf"\r\n',
	'Content-Type: application/pdf; name="raw utf-8 caf\u00c3\u00a9.pdf"\r\n',
	'Content-Type: application/pdf; name="latin1 caf\u00e9.pdf"\r\n',
	'Content-Disposition: attachment; filename="with \u2028 separator.pdf"\r\n',
	'Content-Type: text/plain; name="bare\rcr.txt"\r\n',
	'Content-Transfer-Encoding: BASE64 (a comment)\r\n',
	'Content-Transfer-Encoding: (comment) quoted-printable\r\n',
	'Content-Transfer-Encoding: ((((\r\n',
	'Content-Transfer-Encoding:\r\n 7bit\r\n',
	'Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n',
	'Content-Type: text/plain\r\nno colon here\r\n',
	'   :\r\nContent-Type: text/plain\r\n',
	'Content-Type:    \t text/plain   \t\r\n',
	'Content-Type: text/plain\x0b\x0c\r\n',
	'X-Other: =?utf-8?Q?x?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n',
	'',
];

describe('node-headers.ts parses a node the way mailsplit does', () => {
	it.each(HEADER_BLOCKS.map((block) => [JSON.stringify(block), block]))('%s', (_, block) => {
		const bytes = Buffer.from(`${block}\r\n`, 'latin1');
		for (const parent of [undefined, 'multipart/mixed; boundary=p', 'message/rfc822'])
			expect(parsedFields(bytes, true, parent)).toEqual(parsedFields(bytes, false, parent));
	});

	it('2,000 random header blocks of header-ish characters', () => {
		// A seeded generator (reproducible): names and values drawn from the characters each
		// shortcut looks at, non-ASCII bytes, line ends of every kind and folding.
		let seed = 0x5eed;
		const next = (n: number) => {
			seed = (seed * 1103515245 + 12345) & 0x7fffffff;
			return seed % n;
		};
		const NAMES = ['Content-Type', 'content-disposition', 'Content-Transfer-Encoding', 'X-A'];
		const PIECES = [
			'text/plain',
			'attachment',
			'inline',
			'multipart/mixed',
			'application/pdf',
			'base64',
			';',
			'=',
			'"',
			'\\',
			' ',
			'\t',
			'(',
			')',
			'=?',
			'?=',
			'=?utf-8?Q?a=C3=A9?=',
			'=?utf-8?B?w6k=?=',
			'filename=',
			'name=',
			"filename*0*=utf-8''a%20b",
			'filename*1=c',
			'charset=',
			'boundary=',
			'format=flowed',
			'delsp=yes',
			'.pdf',
			'\u00e9',
			'\u00c3\u00a9',
			'\r\n ',
			'\r\n\t',
			'\r',
			'\n',
			':',
		];
		for (let round = 0; round < 2_000; round++) {
			const lines: string[] = [];
			for (let count = next(4); count >= 0; count--) {
				let value = '';
				for (let piece = next(8); piece >= 0; piece--) value += PIECES[next(PIECES.length)];
				lines.push(`${NAMES[next(NAMES.length)]}:${value}`);
			}
			const bytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
			expect([lines, parsedFields(bytes, true)]).toEqual([lines, parsedFields(bytes, false)]);
		}
	});
});

describe('simpleStructured reads a plain structured value as libmime does, or declines', () => {
	const libmime = new (fromMailsplit('libmime') as { Libmime: new () => Libmime }).Libmime();
	interface Libmime {
		parseHeaderValue(value: string): unknown;
	}

	it('targeted values', () => {
		const values = [
			'',
			'text/plain',
			'TEXT/Plain; Charset=UTF-8',
			'attachment; filename="part 1; (x).txt"',
			'attachment;filename=a.pdf;FILENAME=b.pdf',
			'a; ',
			'a;;b=c',
			'a; b',
			'a; b=',
			'a; b=""',
			'a; b="x"y',
			'a; b="x',
			'a; b="x\\"y"',
			"a; b*=utf-8''x",
			'a; b*0=x; b*1=y',
			'a; __proto__=x',
			'a; constructor=x; toString=y',
			'a; b=c=d',
			'a ; b=c',
			'a;\tb=c',
			' a',
			'a; b = c',
			'caf\u00e9; name="caf\u00e9"',
			'a; name="\u00e9 \t x"',
			'=?utf-8?Q?a?=; b="=?utf-8?Q?x?="',
		];
		for (const value of values) {
			const fast = simpleStructured(value);
			if (fast) expect([value, fast]).toEqual([value, libmime.parseHeaderValue(value)]);
		}
		// The common shapes do take the one-pass path.
		expect(simpleStructured('attachment; filename="part-1.txt"')).toBeDefined();
		expect(simpleStructured('text/plain; charset=utf-8; format=flowed')).toBeDefined();
	});

	it('20,000 random values', () => {
		let seed = 0xbeef;
		const next = (n: number) => {
			seed = (seed * 1103515245 + 12345) & 0x7fffffff;
			return seed % n;
		};
		const PIECES = [
			'a',
			'B',
			'/',
			';',
			'=',
			'"',
			'\\',
			' ',
			'\t',
			'*',
			'0',
			'-',
			'.',
			'\u00e9',
			"'",
			'(',
		];
		let taken = 0;
		for (let round = 0; round < 20_000; round++) {
			let value = '';
			for (let piece = next(14); piece >= 0; piece--) value += PIECES[next(PIECES.length)];
			const fast = simpleStructured(value);
			if (!fast) continue;
			taken++;
			expect([value, fast]).toEqual([value, libmime.parseHeaderValue(value)]);
		}
		// Enough of them took the one-pass path for the comparison to mean something.
		expect(taken).toBeGreaterThan(2_000);
	});
});
