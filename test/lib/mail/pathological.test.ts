import { Readable } from 'node:stream';

import { parseEmail, type EmailIdentity } from '../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../lib/mail/policy';
import {
	deepNesting,
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

	it('1,000-deep multipart nesting: the innermost text is found (from a stream too)', async () => {
		const source = deepNesting();
		for (const from of [source, Readable.from([source])]) {
			const { email } = await parseEmail(from, identity, { policy: DEFAULT_POLICY });
			expect(email.parseError).toBeUndefined();
			expect(email.text).toBe('the innermost part');
			expect(email.date).toBe('2024-03-05T08:15:00Z');
		}
	});
});
