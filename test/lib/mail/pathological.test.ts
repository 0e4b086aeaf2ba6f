import { Readable } from 'node:stream';

import { MAX_MIME_DEPTH } from '../../../lib/mail/mime-depth';
import { parseEmail, type EmailIdentity } from '../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../lib/mail/policy';
import {
	deepNesting,
	deepNestingBetweenParts,
	embeddedMessageChain,
	lessThanHtml,
	manyAddresses,
	manyParts,
	parenDateHeader,
} from '../../fixtures/pathological';

// Each hostile shape yields a correct item: the content is asserted, never the time (that is
// the benchmark's job: `npm run bench -- pathological`). Before the fixes these either took
// minutes (quadratic regexes) or became parseError items (mailsplit's 1 MB header and 1,000
// part limits, which RFC 5322 does not have).

// A backstop for a slow shared machine, not a bound on anything.
jest.setTimeout(120_000);

const RECEIVED = '2024-04-01T10:00:00Z';
const identity: EmailIdentity = {
	provider: 'imap',
	account: 'alice',
	mailbox: 'INBOX',
	id: '1:1',
	locator: 'imap://alice@mail.example.com:993/INBOX;UIDVALIDITY=1/;UID=1',
	receivedAt: RECEIVED,
};
const parse = (source: Buffer) => parseEmail(source, identity, { policy: DEFAULT_POLICY });

describe('pathological mail yields a correct item', () => {
	it('a 1 MB Date header of "(": the date falls back to the received time, the rest is read', async () => {
		const { email } = await parse(parenDateHeader());
		expect(email.parseError).toBeUndefined();
		expect(email.date).toBe(RECEIVED);
		expect(email.dateFromReceived).toBe(true);
		expect(email.headers.date[0].replace(/\s/g, '')).toBe('('.repeat(1024 * 1024));
		expect(email.subject).toBe('pathological');
		expect(email.text).toBe('body');
	});

	it('1 MB of "<" in an HTML body: text keeps the words and the "<" as text', async () => {
		const { email } = await parseEmail(lessThanHtml(), identity, {
			policy: { ...DEFAULT_POLICY, maxTextChars: 4 * 1024 * 1024 },
		});
		expect(email.parseError).toBeUndefined();
		expect(email.textTruncated).toBe(false);
		expect(email.html.length).toBe('<p>before</p>'.length + 1024 * 1024);
		expect(email.text.startsWith('before')).toBe(true);
		expect(email.text.replace(/[^<]/g, '').length).toBe(1024 * 1024);
	});

	it('10,000 parts: every one listed, in order, and kept by the default policy (text/plain)', async () => {
		const { email, attachments } = await parse(manyParts());
		expect(email.parseError).toBeUndefined();
		expect(email.text).toBe('cover note');
		expect(email.attachments).toHaveLength(10_000);
		expect(email.attachments[9_999]).toMatchObject({
			filename: 'part-9999.txt',
			contentType: 'text/plain',
			disposition: 'attachment',
			binaryProperty: 'attachment_9999',
		});
		expect(attachments).toHaveLength(10_000);
		expect(attachments[1234].stored.data.toString()).toBe('part 1234\r\n');
	});

	it('past the part limit (16,384) the message is a parseError item with its raw source, not an exhausted heap', async () => {
		const source = manyParts(17_000);
		const result = await parse(source);
		expect(result.email.parseError).toMatch(/child nodes/);
		expect(result.raw?.equals(source)).toBe(true);
	});

	it('100,000 addresses in To: every one, in order', async () => {
		const { email } = await parse(manyAddresses());
		expect(email.parseError).toBeUndefined();
		expect(email.to).toHaveLength(100_000);
		expect(email.to[0].address).toBe('u0@example.com');
		expect(email.to[99_999].address).toBe('u99999@example.com');
		expect(new Set(email.to.map((a) => a.address)).size).toBe(100_000);
	});

	it('1,000-deep multipart nesting: an item with the headers, flagged as nested past the limit (from a stream too)', async () => {
		const source = deepNesting();
		for (const from of [source, Readable.from([source])]) {
			const { email } = await parseEmail(from, identity, { policy: DEFAULT_POLICY });
			expectNestingFlag(email.parseError);
			expect(email.subject).toBe('pathological');
			expect(email.date).toBe('2024-03-05T08:15:00Z');
			expect(email.dateFromReceived).toBeUndefined();
			// The one text part is below the limit: not read.
			expect(email.text).toBe('');
		}
	});
});

/** The parseError of a message nested past the limit: names the limit and what to do. */
function expectNestingFlag(parseError: string | undefined): void {
	expect(parseError).toMatch(/^MIME nesting deeper than 100 levels: the parts below level 100/);
	expect(parseError).toContain('mime_nesting_limit');
	expect(parseError).toContain('inspect its raw source (binary "raw")');
}

describe('the MIME nesting limit (MAX_MIME_DEPTH)', () => {
	it("is 100, as Postfix's mime_nesting_limit", () => {
		expect(MAX_MIME_DEPTH).toBe(100);
	});

	it('100 levels are read whole: the innermost text is found, nothing is flagged', async () => {
		for (const source of [deepNesting(100), embeddedMessageChain(100)]) {
			const { email, raw } = await parse(source);
			expect(email.parseError).toBeUndefined();
			expect(email.text).toContain('the innermost part');
			expect(raw).toBeUndefined();
		}
	});

	it('5,000 nested multiparts: an item with the headers and the flag, not a stack overflow; the raw source is kept', async () => {
		// Before the limit mailparser's recursive text assembly overflowed the stack from ~3,500
		// levels and the item's parseError was "Maximum call stack size exceeded".
		const source = deepNesting(5_000);
		for (const from of [source, Readable.from([source])]) {
			const { email, raw } = await parseEmail(from, identity, { policy: DEFAULT_POLICY });
			expectNestingFlag(email.parseError);
			expect(email.subject).toBe('pathological');
			expect(email.from).toEqual({ name: 'Mallory', address: 'mallory@example.net' });
			expect(email.messageId).toBe('<pathological@example.net>');
			expect(raw).toBe(from === source ? source : undefined);
		}
	});

	it('5,000 embedded messages: the one at the limit is one unopened message/rfc822 part', async () => {
		const source = embeddedMessageChain(5_000);
		const listed = await parse(source);
		expectNestingFlag(listed.email.parseError);
		expect(listed.email.subject).toBe('layer 1');
		expect(listed.email.text).toBe('');
		expect(listed.email.attachments).toHaveLength(1);
		expect(listed.email.attachments[0]).toMatchObject({
			contentType: 'message/rfc822',
			inline: true,
			skipped: 'inline',
		});
		// Kept when the policy asks for it: what layer 101 (at depth 100) embeds, as sent, with
		// everything below it.
		const kept = await parseEmail(source, identity, {
			policy: { ...DEFAULT_POLICY, mimeTypes: ['message/rfc822'], includeInline: true },
		});
		const inner = kept.attachments[0].stored.data.toString('latin1');
		expect(inner).toMatch(/^From: Mallory <mallory@example.net>\r\nSubject: layer 102\r\n/);
		expect(inner).toContain('the innermost part');
	});

	it('the parts above and after an over-deep subtree are read; the ones inside it are not', async () => {
		const keepPdf = { ...DEFAULT_POLICY, mimeTypes: ['application/pdf'] };
		const below = await parseEmail(deepNestingBetweenParts(99), identity, { policy: keepPdf });
		expect(below.email.parseError).toBeUndefined();
		expect(below.email.attachments.map((a) => a.filename)).toEqual(['deep.pdf', 'after.pdf']);

		const over = await parseEmail(deepNestingBetweenParts(3_000), identity, { policy: keepPdf });
		expectNestingFlag(over.email.parseError);
		expect(over.email.text).toBe('cover note');
		expect(over.email.attachments.map((a) => a.filename)).toEqual(['after.pdf']);
		expect(over.attachments.map((a) => a.stored.data.toString('latin1'))).toEqual([
			expect.stringContaining('after'),
		]);
	});
});
