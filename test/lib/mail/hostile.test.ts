import { Readable } from 'node:stream';

import { MailIntelError } from '../../../lib/errors';
import { parseEmail, type EmailIdentity } from '../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../lib/mail/policy';
import { file, message, multipart, pdf, text, type Part } from '../../fixtures/mime-factory';

// Mail written by an attacker: names that are paths or hide their extension, types that lie,
// and a transport that cuts the message off. What each test asserts is what a user would
// check on the item: the names, the declared types, what was kept, and what failed how.

const RECEIVED = '2024-04-01T10:00:00Z';
const identity: EmailIdentity = {
	provider: 'imap',
	account: 'alice',
	mailbox: 'INBOX',
	id: '1:1',
	locator: 'imap://alice@mail.example.com:993/INBOX;UIDVALIDITY=1/;UID=1',
	receivedAt: RECEIVED,
};
const ENVELOPE = {
	From: 'Mallory <mallory@example.net>',
	To: 'alice@example.com',
	Subject: 'hostile',
	Date: 'Tue, 05 Mar 2024 09:15:00 +0100',
};
const REPORT = pdf('Quarterly phishing report');
/** The first bytes of a Windows executable (DOS header "MZ", then the PE offset). */
const MZ = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(120)]);

function mixed(parts: Part[]): Buffer {
	return message(ENVELOPE, multipart('mixed', 'b1', [text('see attached'), ...parts]));
}

describe('hostile filenames', () => {
	it('paths, NUL and bidi overrides never reach attachments[].filename; the sent name is kept aside', async () => {
		const source = mixed([
			file({
				contentType: 'text/csv',
				data: Buffer.from('a,b\n'),
				disposition: 'attachment; filename="../../etc/passwd.csv"',
			}),
			file({
				contentType: 'text/plain',
				data: Buffer.from('x'),
				disposition: 'attachment; filename="..\\\\..\\\\win.ini.txt"',
			}),
			file({
				contentType: 'application/pdf',
				data: REPORT,
				// RFC 2231: U+202E RIGHT-TO-LEFT OVERRIDE, percent-encoded as UTF-8
				disposition: "attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe",
			}),
			file({
				contentType: 'application/pdf',
				data: REPORT,
				disposition: 'attachment; filename="../"',
			}),
		]);
		const { email, attachments } = await parseEmail(source, identity, { policy: DEFAULT_POLICY });
		expect(email.attachments.map((a) => [a.filename, a.originalFilename])).toEqual([
			['passwd.csv', '../../etc/passwd.csv'],
			['win.ini.txt', '..\\..\\win.ini.txt'],
			['invoicefdp.exe', 'invoice\u202Efdp.exe'],
			['attachment-4.pdf', '../'],
		]);
		// The sink (n8n binary data, OpenCTI uploads) gets the same safe names.
		expect(attachments.map((kept) => kept.stored.fileName)).toEqual([
			'passwd.csv',
			'win.ini.txt',
			'invoicefdp.exe',
			'attachment-4.pdf',
		]);
	});
});

describe('the declared Content-Type decides', () => {
	it('an octet-stream "report.pdf" and an MZ executable "evil.exe.pdf" are not kept by default; a genuine PDF is', async () => {
		const source = mixed([
			file({
				contentType: 'application/octet-stream',
				typeParams: 'name="report.pdf"',
				data: REPORT,
				disposition: 'attachment; filename="report.pdf"',
			}),
			file({
				contentType: 'application/octet-stream',
				typeParams: 'name="evil.exe.pdf"',
				data: MZ,
				disposition: 'attachment; filename="evil.exe.pdf"',
			}),
			file({
				contentType: 'application/pdf',
				data: REPORT,
				disposition: 'attachment; filename="genuine.pdf"',
			}),
		]);
		const { email, attachments } = await parseEmail(source, identity, { policy: DEFAULT_POLICY });
		expect(email.attachments.map((a) => [a.filename, a.contentType, a.skipped ?? 'kept'])).toEqual([
			['report.pdf', 'application/octet-stream', 'mimeType'],
			['evil.exe.pdf', 'application/octet-stream', 'mimeType'],
			['genuine.pdf', 'application/pdf', 'kept'],
		]);
		expect(attachments.map((kept) => kept.info.filename)).toEqual(['genuine.pdf']);
		expect(attachments[0].stored.mimeType).toBe('application/pdf');
	});

	it('the type is lower-cased without parameters; the disposition is recorded as declared', async () => {
		const source = mixed([
			file({
				contentType: 'Application/PDF',
				typeParams: 'name="a.pdf"',
				data: REPORT,
				disposition: 'INLINE; filename="a.pdf"',
			}),
			file({
				contentType: 'text/csv',
				typeParams: 'charset=utf-8',
				data: Buffer.from('a,b\n'),
				disposition: 'attachment; filename="b.csv"',
			}),
			file({ contentType: 'image/png', data: Buffer.from('png') }),
		]);
		const { email } = await parseEmail(source, identity, {
			policy: { ...DEFAULT_POLICY, includeInline: true },
		});
		expect(email.attachments.map((a) => [a.contentType, a.disposition, a.inline])).toEqual([
			['application/pdf', 'inline', true],
			['text/csv', 'attachment', false],
			['image/png', undefined, false],
		]);
	});

	it('a leaf part without Content-Type is text/plain (RFC 2045 §5.2), whatever its name says', async () => {
		const source = mixed([
			{
				headers: [['Content-Disposition', 'attachment; filename="payload.pdf"']],
				body: 'plain words\r\n',
			},
		]);
		const { email } = await parseEmail(source, identity, {
			policy: { ...DEFAULT_POLICY, mimeTypes: ['application/pdf'] },
		});
		expect(email.attachments).toMatchObject([
			{ filename: 'payload.pdf', contentType: 'text/plain', skipped: 'mimeType' },
		]);
	});
});

/** A source that sends `bytes`, then fails the way a cut connection does (or just closes). */
function cutAfter(bytes: Buffer, how: 'error' | 'close'): Readable {
	let sent = false;
	return new Readable({
		read() {
			if (sent) return;
			sent = true;
			this.push(bytes);
			setImmediate(() =>
				how === 'error' ? this.destroy(new Error('read ECONNRESET')) : this.destroy(),
			);
		},
	});
}

describe('a source cut mid-transfer', () => {
	const whole = mixed([
		file({
			contentType: 'application/pdf',
			data: Buffer.concat([REPORT, Buffer.alloc(256 * 1024, 0x41)]),
			disposition: 'attachment; filename="report.pdf"',
		}),
	]);
	const half = whole.subarray(0, Math.floor(whole.length / 2));

	it.each(['error', 'close'] as const)(
		'(%s) rejects with a retryable SOURCE_INTERRUPTED, not a parseError item',
		async (how) => {
			const parsing = parseEmail(cutAfter(half, how), identity, { policy: DEFAULT_POLICY });
			await expect(parsing).rejects.toBeInstanceOf(MailIntelError);
			await expect(parsing).rejects.toMatchObject({
				code: 'SOURCE_INTERRUPTED',
				retryable: true,
				source: 'mail',
			});
		},
	);

	it('the same bytes ending cleanly (a complete download of a truncated message) yield an item', async () => {
		const { email } = await parseEmail(Readable.from([half]), identity, {
			policy: DEFAULT_POLICY,
		});
		expect(email.parseError).toBeUndefined();
		expect(email.subject).toBe('hostile');
		expect(email.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
	});

	it('a source that is not MIME at all still yields a parseError item', async () => {
		const { email } = await parseEmail(
			Readable.from([Buffer.from('%PDF-1.4 not a mail at all')]),
			identity,
			{ policy: DEFAULT_POLICY },
		);
		expect(email.parseError).toMatch(/not an RFC 822 message/);
		expect(email.date).toBe(RECEIVED);
	});
});
