import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import { MailIntelError } from '../../../../lib/errors';
import { bufferSink, parseEmail, type AttachmentSink } from '../../../../lib/mail/parse';
import { DEFAULT_POLICY, type AttachmentPolicy } from '../../../../lib/mail/policy';
import {
	htmlToText,
	mapGraphMessage,
	type GraphAttachment,
	type GraphMessage,
	type MapOptions,
} from '../../../../lib/providers/graph/message';
import { message as mimeMessage } from '../../../fixtures/mime-factory';

const KEEP_ALL: AttachmentPolicy = { ...DEFAULT_POLICY, mimeTypes: ['*'] };
const PDF = Buffer.from('%PDF-1.4 quarterly report\n%%EOF\n');
const CSV = Buffer.from('ioc,type\nevil.example,domain\n');

const MESSAGE: GraphMessage = {
	id: 'AAMk-1',
	subject: 'Report',
	from: { emailAddress: { name: 'Bob', address: 'Bob@Example.com' } },
	receivedDateTime: '2026-11-20T08:00:00Z',
	sentDateTime: '2026-11-20T07:59:00Z',
	body: { contentType: 'text', content: 'see attached' },
	hasAttachments: true,
};

function file(id: string, name: string, contentType: string, size = 10): GraphAttachment {
	return { '@odata.type': '#microsoft.graph.fileAttachment', id, name, contentType, size };
}

/** Attachment bytes by id; a function answers instead of bytes for the failure cases. */
type Answer = Buffer | (() => Promise<Readable>);

function options(
	listed: GraphAttachment[],
	answers: Record<string, Answer>,
	extra: Partial<MapOptions<unknown>> = {},
): MapOptions<unknown> {
	return {
		account: 'soc@contoso.com',
		mailbox: 'Inbox',
		policy: KEEP_ALL,
		listAttachments: async () => listed,
		readAttachment: async (id) => {
			const answer = answers[id];
			return Buffer.isBuffer(answer) ? Readable.from([answer]) : answer();
		},
		...extra,
	};
}

/** What Graph's client throws for an HTTP failure after its own retries. */
function graphError(status: number, code: string): MailIntelError {
	return new MailIntelError(`Graph GET /attachments failed (${status} ${code})`, {
		source: 'graph',
		status,
		code,
	});
}

/** A download that sends some bytes, then the connection drops. */
function cutStream(): Promise<Readable> {
	const stream = new Readable({ read() {} });
	stream.push(Buffer.alloc(4096, 1));
	setImmediate(() => stream.destroy(new Error('socket hang up')));
	return Promise.resolve(stream);
}

describe('Graph message mapping: the one attachment pipeline', () => {
	it('a 404 for one attachment is recorded on it (permanent); the message and the other parts are built', async () => {
		const result = await mapGraphMessage(
			MESSAGE,
			options([file('a1', 'report.pdf', 'application/pdf'), file('a2', 'iocs.csv', 'text/csv')], {
				a1: () => Promise.reject(graphError(404, 'ErrorItemNotFound')),
				a2: CSV,
			}),
		);
		expect(result.email.subject).toBe('Report');
		const [pdf, csv] = result.email.attachments;
		expect(pdf).toMatchObject({
			filename: 'report.pdf',
			skipped: 'error',
			error: { code: 'NOT_FOUND', message: expect.stringContaining('404') },
		});
		expect(pdf.binaryProperty).toBeUndefined();
		expect(csv).toMatchObject({
			filename: 'iocs.csv',
			binaryProperty: 'attachment_0',
			size: CSV.length,
		});
		expect(result.attachments.map((kept) => kept.info.filename)).toEqual(['iocs.csv']);
	});

	it('a 3 MB download is streamed to the sink (past the in-memory threshold), whole and hashed', async () => {
		const big = Buffer.alloc(3 * 1024 * 1024);
		for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
		const chunks: Buffer[] = [];
		for (let at = 0; at < big.length; at += 64 * 1024)
			chunks.push(big.subarray(at, at + 64 * 1024));
		const result = await mapGraphMessage(
			MESSAGE,
			options([file('a1', 'big.pdf', 'application/pdf', big.length)], {
				a1: async () => Readable.from(chunks),
			}),
		);
		const [kept] = result.attachments as Array<{
			info: { sha256?: string; size: number };
			stored: { data: Buffer };
		}>;
		expect(kept.stored.data.equals(big)).toBe(true);
		expect(kept.info.size).toBe(big.length);
		expect(kept.info.sha256).toBe(createHash('sha256').update(big).digest('hex'));
	});

	it('a 403 is recorded as FORBIDDEN', async () => {
		const result = await mapGraphMessage(
			MESSAGE,
			options([file('a1', 'report.pdf', 'application/pdf')], {
				a1: () => Promise.reject(graphError(403, 'ErrorAccessDenied')),
			}),
		);
		expect(result.email.attachments[0].error?.code).toBe('FORBIDDEN');
	});

	it('a download cut mid-way rejects the fetch as retryable; nothing is recorded as "nothing to scan"', async () => {
		const mapping = mapGraphMessage(
			MESSAGE,
			options([file('a1', 'report.pdf', 'application/pdf')], { a1: cutStream }),
		);
		await expect(mapping).rejects.toMatchObject({
			name: 'MailIntelError',
			code: 'DOWNLOAD_INTERRUPTED',
			retryable: true,
		});
	});

	it('a 503 the transport gave up on rejects as retryable too', async () => {
		const mapping = mapGraphMessage(
			MESSAGE,
			options([file('a1', 'report.pdf', 'application/pdf')], {
				a1: () => Promise.reject(graphError(503, 'ServiceUnavailable')),
			}),
		);
		await expect(mapping).rejects.toMatchObject({ status: 503, retryable: true });
	});

	it('with recordTransientFailures the cut download is recorded as RETRIES_EXHAUSTED and the message is built', async () => {
		const result = await mapGraphMessage(
			MESSAGE,
			options(
				[file('a1', 'report.pdf', 'application/pdf'), file('a2', 'iocs.csv', 'text/csv')],
				{ a1: cutStream, a2: CSV },
				{ recordTransientFailures: true },
			),
		);
		expect(result.email.attachments[0]).toMatchObject({
			skipped: 'error',
			error: { code: 'RETRIES_EXHAUSTED', message: expect.stringContaining('socket hang up') },
		});
		expect(result.attachments.map((kept) => kept.info.filename)).toEqual(['iocs.csv']);
	});

	it('a sink that fails (binary-store write) rejects the fetch as retryable', async () => {
		const failing: AttachmentSink<unknown> = async (_info, content) => {
			content.resume();
			throw new Error('S3 PutObject: 503 SlowDown');
		};
		const mapping = mapGraphMessage(
			MESSAGE,
			options([file('a1', 'report.pdf', 'application/pdf')], { a1: PDF }, { sink: failing }),
		);
		await expect(mapping).rejects.toMatchObject({ code: 'SINK_WRITE', retryable: true });
	});

	it('a transient failure listing the attachments rejects as retryable', async () => {
		const mapping = mapGraphMessage(
			MESSAGE,
			options([], {}, { listAttachments: () => Promise.reject(graphError(504, 'GatewayTimeout')) }),
		);
		await expect(mapping).rejects.toMatchObject({ status: 504, retryable: true });
	});

	it('names are sanitized and the declared type decides: octet-stream "report.pdf" is not kept by default', async () => {
		const result = await mapGraphMessage(
			MESSAGE,
			options(
				[
					file('a1', '../../etc/passwd.csv', 'text/csv'),
					file('a2', 'report.pdf', 'application/octet-stream'),
					file('a3', 'invoice\u202Efdp.exe', 'application/pdf'),
				],
				{ a1: CSV, a2: PDF, a3: PDF },
				{ policy: DEFAULT_POLICY, sink: bufferSink },
			),
		);
		const [csv, octet, bidi] = result.email.attachments;
		expect(csv).toMatchObject({ filename: 'passwd.csv', originalFilename: '../../etc/passwd.csv' });
		expect(csv.binaryProperty).toBe('attachment_0');
		expect(octet).toMatchObject({
			filename: 'report.pdf',
			contentType: 'application/octet-stream',
			skipped: 'mimeType',
		});
		expect(bidi).toMatchObject({
			filename: 'invoicefdp.exe',
			originalFilename: 'invoice\u202Efdp.exe',
		});
		expect(
			result.attachments.map((kept) => (kept.stored as { fileName: string }).fileName),
		).toEqual(['passwd.csv', 'invoicefdp.exe']);
	});
});

describe('Graph HTML bodies as text', () => {
	const HTML =
		'<html><head><style>p{color:red}</style></head><body><h1>Alert</h1><p>Click <a href="https://evil.example/x">here</a> &amp; log in.</p><ul><li>one</li><li>two</li></ul><script>x()</script></body></html>';

	it('is the text mailparser gives for the same HTML-only message', async () => {
		const mime = mimeMessage(
			{ From: 'a@example.org', Subject: 'html', Date: 'Tue, 05 Mar 2024 09:15:00 +0100' },
			{ headers: [['Content-Type', 'text/html; charset=utf-8']], body: HTML },
		);
		const parsed = await parseEmail(
			mime,
			{
				provider: 'file',
				account: '',
				mailbox: '',
				id: '1',
				locator: 'file://1',
			},
			{ policy: DEFAULT_POLICY },
		);
		const mapped = await mapGraphMessage(
			{ ...MESSAGE, hasAttachments: false, body: { contentType: 'html', content: HTML } },
			options([], {}),
		);
		expect(mapped.email.text).toBe(parsed.email.text);
		expect(mapped.email.text).toContain('ALERT');
		expect(mapped.email.text).toContain('here [https://evil.example/x]');
		expect(mapped.email.html).toBe(HTML);
	});

	it('of a message with attachments: converted and capped to maxTextChars as without them', async () => {
		const mapped = await mapGraphMessage(
			{ ...MESSAGE, hasAttachments: true, body: { contentType: 'html', content: HTML } },
			options(
				[file('a1', 'report.pdf', 'application/pdf')],
				{ a1: PDF },
				{
					policy: { ...KEEP_ALL, maxTextChars: 8 },
				},
			),
		);
		expect(mapped.email.text).toBe(htmlToText(HTML).slice(0, 8));
		expect(mapped.email.html).toBe(HTML.slice(0, 8));
		expect(mapped.email.textTruncated).toBe(true);
		expect(mapped.email.attachments).toHaveLength(1);
		// The converter is compiled once and shared: a second body is not affected by the first.
		expect(htmlToText('<p>second</p>')).toBe('second');
	});

	it('1 MB of "<" yields the text around it (a tag-stripping regex was quadratic on this)', () => {
		const text = htmlToText(`<p>before</p>${'<'.repeat(1024 * 1024)}<p>after</p>`);
		expect(text.startsWith('before')).toBe(true);
		expect(text.length).toBeGreaterThan(1024 * 1024);
	});
});
