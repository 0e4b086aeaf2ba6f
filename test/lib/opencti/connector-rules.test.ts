import { parseEmail } from '../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../lib/mail/policy';
import type { AttachmentInfo, NormalizedEmail } from '../../../lib/mail/types';
import {
	mapEmailToReport,
	reportContent,
	receivedAtText,
	selectReportAttachments,
} from '../../../lib/opencti';
import { filenameParameters } from '../../../lib/opencti/multipart';

/**
 * The connector's rules one by one, byte for byte (its converter:
 * external-import/email-intel-imap/src/email_intel_imap/converter.py in OpenCTI's connectors
 * repository). Expected strings were written out from the rule (and the dates checked with
 * Python's `str(email.utils.parsedate_to_datetime(header))`), never computed by our code.
 */
const FOOTER = '  \n  \nPlease consult the content section to view the email content.';

async function parsed(headers: string[], body = 'hello\r\n'): Promise<NormalizedEmail> {
	const source = [
		'From: Analyst <analyst@partner.example>',
		'To: intel@example.org',
		'Message-ID: <rule@partner.example>',
		'MIME-Version: 1.0',
		'Content-Type: text/plain; charset=utf-8',
		...headers,
		'',
		body,
	].join('\r\n');
	const result = await parseEmail(
		Buffer.from(source),
		{
			provider: 'imap',
			account: 'intel@example.org',
			mailbox: 'INBOX',
			id: '1:1',
			locator: 'imap://intel@example.org@localhost:993/INBOX;UIDVALIDITY=1/;UID=1',
			receivedAt: new Date('2026-11-20T10:00:00Z'),
		},
		{ policy: DEFAULT_POLICY },
	);
	return result.email;
}

describe('"Email Received At": Python str(datetime) of the Date header, in its own offset', () => {
	test.each([
		['Fri, 20 Nov 2026 09:30:00 +0200', '2026-11-20 09:30:00+02:00', '2026-11-20T07:30:00Z'],
		['Fri, 20 Nov 2026 09:30:00 -0500', '2026-11-20 09:30:00-05:00', '2026-11-20T14:30:00Z'],
		['Fri, 20 Nov 2026 09:30:00', '2026-11-20 09:30:00', '2026-11-20T09:30:00Z'],
		// RFC 5322: "-0000" says nothing about the local zone; Python keeps the datetime naive.
		['20 Nov 2026 09:30:00 -0000', '2026-11-20 09:30:00', '2026-11-20T09:30:00Z'],
		['Fri, 20 Nov 2026 09:30 GMT', '2026-11-20 09:30:00+00:00', '2026-11-20T09:30:00Z'],
		['Fri, 20 Nov 2026 09:30:00 EST', '2026-11-20 09:30:00-05:00', '2026-11-20T14:30:00Z'],
		['Fri, 20 Nov 2026 09:30:00 +0530 (IST)', '2026-11-20 09:30:00+05:30', '2026-11-20T04:00:00Z'],
	])('Date: %s', async (date, receivedAt, published) => {
		const email = await parsed(['Subject: Wave 3', `Date: ${date}`]);
		const { input } = mapEmailToReport(email, []);
		expect(input.published).toBe(published);
		expect(input.description).toBe(
			'**Email Received From**: analyst@partner.example  \n' +
				`**Email Received At**: ${receivedAt}  \n` +
				'**Email Subject**: Wave 3  \n' +
				'**Email Attachment Count**: 0' +
				FOOTER,
		);
	});

	test('no usable Date header: the received time, in UTC, the same instant as published', async () => {
		const email = await parsed(['Subject: Wave 3', 'Date: not a date at all']);
		expect(email.dateFromReceived).toBe(true);
		expect(receivedAtText(email)).toBe('2026-11-20 10:00:00+00:00');
		expect(mapEmailToReport(email, []).input.published).toBe('2026-11-20T10:00:00Z');
	});

	test('a header the parser read as another instant never contradicts published', () => {
		const email = {
			date: '2026-11-20T07:30:00Z',
			headers: { date: ['Fri, 20 Nov 2026 09:30:00 +0100'] },
		};
		expect(receivedAtText(email)).toBe('2026-11-20 07:30:00+00:00');
	});

	test('a hostile Date header (unclosed comments, 100 kB) is read in one pass and falls back', () => {
		const hostile = 'Fri, 20 Nov 2026 ' + '('.repeat(100_000);
		expect(receivedAtText({ date: '2026-11-20T07:30:00Z', headers: { date: [hostile] } })).toBe(
			'2026-11-20 07:30:00+00:00',
		);
	});
});

describe('content: the HTML body, else the text HTML-escaped with <br>, else ""', () => {
	test('HTML wins, as sent', () => {
		expect(reportContent({ html: '<p>a &amp; b</p>', text: 'a & b' })).toBe('<p>a &amp; b</p>');
	});

	test('text only: & < > escaped, quotes kept, CRLF and CR made LF, each LF written <br>\\n', () => {
		expect(
			reportContent({
				html: '',
				text: 'Click <a href="x">here</a> & win\r\nline 2\rline 3\n\nend "quoted" \'single\'',
			}),
		).toBe(
			'Click &lt;a href="x"&gt;here&lt;/a&gt; &amp; win<br>\nline 2<br>\nline 3<br>\n<br>\n' +
				'end "quoted" \'single\'',
		);
	});

	test('a text-only email, parsed, reaches the report escaped', async () => {
		const email = await parsed(
			['Subject: IOC', 'Date: Fri, 20 Nov 2026 09:30:00 +0200'],
			'see <evil.example> & 1.2.3.4\r\nbye\r\n',
		);
		expect(mapEmailToReport(email, []).input.content).toBe(
			'see &lt;evil.example&gt; &amp; 1.2.3.4<br>\nbye<br>\n',
		);
	});

	test('no body at all: ""', () => {
		expect(reportContent({ html: '', text: '' })).toBe('');
	});
});

describe('files: declared Content-Disposition attachment AND declared type on the list', () => {
	const part = (overrides: Partial<AttachmentInfo>): AttachmentInfo => ({
		id: overrides.filename ?? 'x',
		filename: 'x.pdf',
		contentType: 'application/pdf',
		size: 3,
		inline: false,
		binaryProperty: 'attachment_0',
		...overrides,
	});
	const attachments: AttachmentInfo[] = [
		part({ filename: 'kept.pdf', disposition: 'attachment', binaryProperty: 'attachment_0' }),
		part({ filename: 'inline.pdf', disposition: 'inline', binaryProperty: 'attachment_1' }),
		// Content-Type: application/pdf; name="named.pdf" and no Content-Disposition at all.
		part({ filename: 'named.pdf', binaryProperty: 'attachment_2' }),
		part({
			filename: 'shot.png',
			contentType: 'image/png',
			disposition: 'attachment',
			binaryProperty: 'attachment_3',
		}),
		part({
			filename: 'iocs.csv',
			contentType: 'text/csv',
			disposition: 'attachment',
			binaryProperty: 'attachment_4',
		}),
	];
	const email = {
		subject: 'Files',
		from: { name: '', address: 'a@b.example' },
		date: '2026-11-20T07:30:00Z',
		headers: { date: ['Fri, 20 Nov 2026 09:30:00 +0200'] },
		html: '',
		text: '',
		attachments,
	} as unknown as NormalizedEmail;

	test('only kept.pdf and iocs.csv are report files; the count says 2', () => {
		const chosen = selectReportAttachments(email);
		expect(chosen.map((info) => info.filename)).toEqual(['kept.pdf', 'iocs.csv']);
		const plan = mapEmailToReport(
			email,
			attachments.map((info) => ({ info, data: Buffer.from(info.filename) })),
		);
		expect(plan.files.map((file) => [file.name, file.mimeType])).toEqual([
			['kept.pdf', 'application/pdf'],
			['iocs.csv', 'text/csv'],
		]);
		expect(plan.input.description).toBe(
			'**Email Received From**: a@b.example  \n**Email Received At**: 2026-11-20 09:30:00+02:00  \n' +
				'**Email Subject**: Files  \n**Email Attachment Count**: 2' +
				FOOTER,
		);
	});
});

describe('multipart file names: ASCII fallback in filename=, RFC 5987 filename* for the rest', () => {
	test('plain ASCII names are sent as they are', () => {
		expect(filenameParameters('report 2026.pdf')).toBe('filename="report 2026.pdf"');
	});

	test('non-ASCII: "_" per character in filename=, UTF-8 percent-encoded in filename*', () => {
		expect(filenameParameters('отчёт (1).pdf')).toBe(
			`filename="_____ (1).pdf"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%281%29.pdf`,
		);
		expect(filenameParameters('say "hi"\\.txt')).toBe(
			`filename="say _hi__.txt"; filename*=UTF-8''say%20%22hi%22%5C.txt`,
		);
	});
});
