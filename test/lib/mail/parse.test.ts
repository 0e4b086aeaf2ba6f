import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

import {
	bufferSink,
	parseEmail,
	type AttachmentSink,
	type BufferedAttachment,
	type EmailIdentity,
	type ParsedEmail,
} from '../../../lib/mail/parse';
import { DEFAULT_POLICY, type AttachmentPolicy } from '../../../lib/mail/policy';
import { IN_MEMORY_PART_BYTES } from '../../../lib/mail/part-reader';
import type { AttachmentInfo } from '../../../lib/mail/types';
import {
	BROKEN_BASE64_BODY,
	CHART_PNG,
	EXPECTED,
	FIXTURES,
	FIXTURE_DIR,
	INNER_MESSAGE,
	IOC_CSV,
	JP_SUBJECT,
	JP_TEXT,
	LOGO_PNG,
	REPORT_PDF,
	RU_ATTACHMENT,
	RU_FILENAME,
	RU_SUBJECT,
	RU_TEXT,
	UTF8_2047_FILENAME,
	UTF8_2231_CONTINUED,
	UTF8_2231_FILENAME,
	WINMAIL,
	bigAttachmentParts,
} from '../../fixtures/generate';

const RECEIVED = '2024-04-01T10:00:00Z';
const identity: EmailIdentity = {
	provider: 'imap',
	account: 'soc@example.com',
	mailbox: 'INBOX',
	id: '7:42',
	locator: 'imap://soc%40example.com@127.0.0.1:993/INBOX;UIDVALIDITY=7/;UID=42',
	uid: 42,
	uidValidity: '7',
	receivedAt: RECEIVED,
	flags: ['\\Flagged'],
};

/** Keep everything: the corpus tests look at every part. */
const KEEP_ALL: AttachmentPolicy = {
	mimeTypes: ['*/*'],
	includeInline: true,
	maxAttachmentBytes: 50 * 1024 * 1024,
	maxTextChars: 1024 * 1024,
};

function fixture(name: string): Buffer {
	return fs.readFileSync(path.join(FIXTURE_DIR, name));
}

function sha256(data: Buffer): string {
	return createHash('sha256').update(data).digest('hex');
}

async function parse(
	name: string,
	policy: AttachmentPolicy = KEEP_ALL,
	extra: Partial<EmailIdentity> = {},
): Promise<ParsedEmail> {
	return parseEmail(fixture(name), { ...identity, ...extra }, { policy });
}

function stored(result: ParsedEmail, filename: string): BufferedAttachment {
	const kept = result.attachments.find((attachment) => attachment.info.filename === filename);
	if (!kept)
		throw new Error(
			`no kept attachment ${filename}; kept: ${result.attachments.map((a) => a.info.filename).join(', ')}`,
		);
	return kept.stored;
}

describe('parseEmail on the fixture corpus', () => {
	it.each(Object.keys(FIXTURES))(
		'%s yields an item (or a parseError item) and never throws',
		async (name) => {
			for (const policy of [KEEP_ALL, DEFAULT_POLICY]) {
				const { email, attachments } = await parse(name, policy);
				expect(email.provider).toBe('imap');
				expect(email.id).toBe('7:42');
				expect(email.locator).toBe(identity.locator);
				expect(email.flags).toEqual(['\\Flagged']);
				expect(email.receivedAt).toBe(RECEIVED);
				expect(email.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
				expect(typeof email.text).toBe('string');
				// every kept attachment is listed, with its binary property and a hash of what was stored
				for (const kept of attachments) {
					expect(email.attachments).toContain(kept.info);
					expect(kept.info.binaryProperty).toBe(kept.binaryProperty);
					expect(kept.info.sha256).toBe(sha256(kept.stored.data));
					expect(kept.info.size).toBe(kept.stored.data.length);
				}
				expect(attachments.map((a) => a.binaryProperty)).toEqual(
					attachments.map((_, i) => `attachment_${i}`),
				);
			}
		},
	);

	it('the same item comes from a stream source as from a Buffer', async () => {
		for (const name of Object.keys(FIXTURES)) {
			const bytes = fixture(name);
			const fromBuffer = await parseEmail(bytes, identity, { policy: KEEP_ALL });
			const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
				bytes.subarray(i * 7, i * 7 + 7),
			);
			const fromStream = await parseEmail(Readable.from(chunks), identity, { policy: KEEP_ALL });
			expect(fromStream.email).toEqual(fromBuffer.email);
		}
	});

	it('multipart/alternative: decoded RFC 2047 subject, text and html, addresses, ISO date', async () => {
		const { email, attachments } = await parse('alternative.eml');
		expect(email.subject).toBe('Quarterly report – Q3 ✓');
		expect(email.text).toBe('Hello SOC,\nthe Q3 report is ready.\n');
		expect(email.html).toBe('<p>Hello SOC,</p><p>the <b>Q3</b> report is ready.</p>');
		expect(email.from).toEqual({ name: 'Threat Intel Desk', address: 'intel@example.org' });
		expect(email.to).toEqual([
			{ name: 'SOC', address: 'soc@example.com' },
			{ name: '', address: 'analyst@example.com' },
		]);
		expect(email.messageId).toBe('<q3-report@example.org>');
		expect(email.inReplyTo).toBe('<q3-request@example.org>');
		expect(email.references).toEqual(['<q3-kickoff@example.org>', '<q3-request@example.org>']);
		expect(email.replyTo).toEqual([{ name: 'Desk', address: 'desk@example.org' }]);
		// a group is flattened into its members
		expect(email.cc).toEqual([
			{ name: '', address: 'a@example.com' },
			{ name: '', address: 'b@example.com' },
		]);
		expect(email.date).toBe(EXPECTED.DATE_UTC);
		expect(email.dateFromReceived).toBeUndefined();
		expect(email.headers.subject).toEqual(['=?UTF-8?Q?Quarterly_report_=E2=80=93_Q3_=E2=9C=93?=']);
		expect(email.headers['content-type'][0]).toMatch(/^multipart\/alternative/);
		expect(email.attachments).toEqual([]);
		expect(attachments).toEqual([]);
	});

	it('multipart/related: cid images are inline (with and without Content-Disposition), the PDF is an attachment', async () => {
		const result = await parse('related-inline-images.eml');
		const { email } = result;
		expect(email.html).toContain('cid:logo@example.org');
		expect(
			email.attachments.map(({ filename, contentType, inline, contentId }) => ({
				filename,
				contentType,
				inline,
				contentId,
			})),
		).toEqual([
			{
				filename: 'logo.png',
				contentType: 'image/png',
				inline: true,
				contentId: 'logo@example.org',
			},
			{
				filename: 'chart.png',
				contentType: 'image/png',
				inline: true,
				contentId: 'chart@example.org',
			},
			{
				filename: 'report.pdf',
				contentType: 'application/pdf',
				inline: false,
				contentId: undefined,
			},
		]);
		// the html references resolve to the stored images
		for (const match of email.html.matchAll(/cid:([^"]+)/g)) {
			expect(email.attachments.some((a) => a.contentId === match[1])).toBe(true);
		}
		expect(stored(result, 'logo.png').data.equals(LOGO_PNG)).toBe(true);
		expect(stored(result, 'chart.png').data.equals(CHART_PNG)).toBe(true);
		expect(stored(result, 'report.pdf').data.equals(REPORT_PDF)).toBe(true);
		expect(stored(result, 'report.pdf').mimeType).toBe('application/pdf');
	});

	it('the default policy keeps only the PDF and lists the inline images as skipped', async () => {
		const { email, attachments } = await parse('related-inline-images.eml', DEFAULT_POLICY);
		expect(attachments.map((a) => a.info.filename)).toEqual(['report.pdf']);
		expect(attachments[0].binaryProperty).toBe('attachment_0');
		expect(email.attachments.map((a) => [a.filename, a.skipped ?? 'kept', a.size])).toEqual([
			['logo.png', 'inline', LOGO_PNG.length],
			['chart.png', 'inline', CHART_PNG.length],
			['report.pdf', 'kept', REPORT_PDF.length],
		]);
		// a skipped part is still read to its end: its hash is known without keeping the bytes
		expect(email.attachments[0].sha256).toBe(sha256(LOGO_PNG));
	});

	it('decodes RFC 2047 and RFC 2231 (incl. continuations) UTF-8 filenames', async () => {
		const result = await parse('utf8-filenames.eml');
		expect(result.email.attachments.map((a) => a.filename)).toEqual([
			UTF8_2047_FILENAME,
			UTF8_2231_FILENAME,
			UTF8_2231_CONTINUED,
		]);
		expect(stored(result, UTF8_2231_FILENAME).data.equals(IOC_CSV)).toBe(true);
		expect(stored(result, UTF8_2047_FILENAME).fileName).toBe(UTF8_2047_FILENAME);
	});

	it('decodes an ISO-2022-JP subject and body', async () => {
		const { email } = await parse('iso-2022-jp.eml');
		expect(email.subject).toBe(JP_SUBJECT);
		expect(email.text.trim()).toBe(JP_TEXT);
	});

	it('decodes a windows-1251 subject, 8bit body and RFC 2231 filename; keeps attachment bytes undecoded', async () => {
		const result = await parse('windows-1251.eml');
		expect(result.email.subject).toBe(RU_SUBJECT);
		expect(result.email.text.trim()).toBe(RU_TEXT);
		expect(result.email.attachments[0].filename).toBe(RU_FILENAME);
		// an attachment is a file: its bytes stay in their own charset
		expect(stored(result, RU_FILENAME).data.equals(RU_ATTACHMENT)).toBe(true);
	});

	it('keeps a forwarded message/rfc822 as one .eml attachment that parses on its own', async () => {
		const result = await parse('nested-rfc822.eml');
		expect(result.email.subject).toBe('Fwd: suspicious mail');
		expect(result.email.text).toBe('Forwarding the suspicious message as an attachment.');
		expect(result.email.attachments).toHaveLength(1);
		expect(result.email.attachments[0]).toMatchObject({
			filename: 'suspicious.eml',
			contentType: 'message/rfc822',
			inline: false,
		});
		const inner = stored(result, 'suspicious.eml').data;
		expect(inner.equals(INNER_MESSAGE)).toBe(true);

		const nested = await parseEmail(inner, { ...identity, provider: 'file' }, { policy: KEEP_ALL });
		expect(nested.email.subject).toBe('Your mailbox is full');
		expect(nested.email.from).toEqual({ name: 'Original Sender', address: 'orig@phish.example' });
		expect(nested.email.date).toBe('2024-03-04T18:00:00Z');
		expect(nested.email.attachments.map((a) => a.filename)).toEqual(['invoice.pdf']);
	});

	it('keeps winmail.dat as an application/ms-tnef attachment with its exact bytes', async () => {
		const result = await parse('winmail-dat.eml');
		expect(
			result.email.attachments.map(({ filename, contentType, size }) => ({
				filename,
				contentType,
				size,
			})),
		).toEqual([
			{ filename: 'winmail.dat', contentType: 'application/ms-tnef', size: WINMAIL.length },
		]);
		const data = stored(result, 'winmail.dat').data;
		expect(data.readUInt32LE(0)).toBe(0x223e9f78); // TNEF signature
		expect(data.equals(WINMAIL)).toBe(true);
		// not on the default allow-list: listed, not kept
		const strict = await parse('winmail-dat.eml', DEFAULT_POLICY);
		expect(strict.attachments).toEqual([]);
		expect(strict.email.attachments[0].skipped).toBe('mimeType');
	});

	it('no Subject: empty subject, everything else intact', async () => {
		const { email } = await parse('no-subject.eml');
		expect(email.subject).toBe('');
		expect(email.headers.subject).toBeUndefined();
		expect(email.text).toBe('A message without a subject.');
		expect(email.date).toBe(EXPECTED.DATE_UTC);
	});

	it('no Date: date is the received time, flagged dateFromReceived', async () => {
		const { email } = await parse('no-date.eml', KEEP_ALL, {
			receivedAt: new Date('2024-04-01T12:30:15.250+02:00'),
		});
		expect(email.date).toBe('2024-04-01T10:30:15.250Z');
		expect(email.receivedAt).toBe('2024-04-01T10:30:15.250Z');
		expect(email.dateFromReceived).toBe(true);
	});

	it('invalid Date: date is the received time, flagged; the raw header is kept', async () => {
		const { email } = await parse('invalid-date.eml');
		expect(email.date).toBe(RECEIVED);
		expect(email.dateFromReceived).toBe(true);
		expect(email.headers.date).toEqual(['the day after tomorrow, around noon']);
	});

	it('empty body: headers parsed, empty text and html, no attachments', async () => {
		const { email } = await parse('empty-body.eml');
		expect(email.subject).toBe('Empty');
		expect(email.text).toBe('');
		expect(email.html).toBe('');
		expect(email.attachments).toEqual([]);
		expect(email.parseError).toBeUndefined();
	});

	it('broken base64: the readable bytes are kept, hashed, and the rest of the mail is intact', async () => {
		const result = await parse('broken-base64.eml');
		expect(result.email.parseError).toBeUndefined();
		expect(result.email.text).toBe('The attachment is damaged.');
		const [info] = result.email.attachments;
		expect(info).toMatchObject({ filename: 'damaged.txt', contentType: 'text/plain' });
		const data = stored(result, 'damaged.txt').data;
		// what a lenient decoder recovers: the base64 alphabet characters, decoded in order
		const recoverable = BROKEN_BASE64_BODY.replace(/[^A-Za-z0-9+/]/g, '');
		const expected = Buffer.from(
			recoverable.slice(0, recoverable.length - (recoverable.length % 4)),
			'base64',
		);
		expect(data.subarray(0, expected.length).equals(expected)).toBe(true);
		expect(data.toString('latin1')).toMatch(/^Hello wor/);
		expect(info.size).toBe(data.length);
		expect(info.sha256).toBe(sha256(data));
	});

	it('a 1-line garbage file yields a parseError item with the raw source', async () => {
		const bytes = fixture('garbage-one-line.eml');
		const result = await parseEmail(bytes, identity, { policy: KEEP_ALL });
		expect(result.email.parseError).toMatch(/not an RFC 822 message/);
		expect(result.raw?.equals(bytes)).toBe(true);
		expect(result.email.subject).toBe('');
		expect(result.email.date).toBe(RECEIVED);
		expect(result.email.dateFromReceived).toBe(true);
		expect(result.email.headers).toEqual({});
	});

	it('html-only: html kept, text derived from it; text-only: raw UTF-8 subject and text', async () => {
		const htmlOnly = (await parse('html-only.eml')).email;
		expect(htmlOnly.html).toContain('<h1>Alert</h1>');
		expect(htmlOnly.text).toContain('Reset your password here');
		const textOnly = (await parse('text-only.eml')).email;
		expect(textOnly.subject).toBe('Text only — naïve café');
		expect(textOnly.text).toMatch(/^Plain text only\. Ünïcödé ok\.\n/);
		expect(textOnly.html).toBe('');
	});

	it('keepRaw returns the source; without it the raw source is not held', async () => {
		const bytes = fixture('alternative.eml');
		expect(
			(await parseEmail(bytes, identity, { policy: KEEP_ALL, keepRaw: true })).raw?.equals(bytes),
		).toBe(true);
		expect((await parseEmail(bytes, identity, { policy: KEEP_ALL })).raw).toBeUndefined();
	});
});

describe('attachment policy applied while parsing', () => {
	const names = (result: ParsedEmail) => result.attachments.map((a) => a.info.filename);
	const skipped = (result: ParsedEmail) =>
		Object.fromEntries(
			result.email.attachments.filter((a) => a.skipped).map((a) => [a.filename, a.skipped]),
		);

	it('exact MIME types keep only those types', async () => {
		const result = await parse('attachments-mixed-types.eml', {
			...KEEP_ALL,
			mimeTypes: ['application/pdf', 'text/csv'],
		});
		expect(names(result)).toEqual(['report.pdf', 'iocs.csv']);
		expect(skipped(result)).toEqual({
			'logo.png': 'mimeType',
			'empty.zip': 'mimeType',
			'notes.txt': 'mimeType',
		});
	});

	it('type/* wildcards keep a whole top-level type', async () => {
		const result = await parse('attachments-mixed-types.eml', {
			...KEEP_ALL,
			mimeTypes: ['text/*', 'image/*'],
		});
		expect(names(result)).toEqual(['iocs.csv', 'logo.png', 'notes.txt']);
		expect(skipped(result)).toEqual({ 'report.pdf': 'mimeType', 'empty.zip': 'mimeType' });
	});

	it('an empty allow-list keeps nothing but still lists every attachment', async () => {
		const result = await parse('attachments-mixed-types.eml', { ...KEEP_ALL, mimeTypes: [] });
		expect(result.attachments).toEqual([]);
		expect(result.email.attachments).toHaveLength(5);
	});

	it('binary properties are numbered over kept attachments only', async () => {
		const result = await parse('attachments-mixed-types.eml', {
			...KEEP_ALL,
			mimeTypes: ['text/*'],
		});
		expect(result.attachments.map((a) => [a.info.filename, a.binaryProperty])).toEqual([
			['iocs.csv', 'attachment_0'],
			['notes.txt', 'attachment_1'],
		]);
		expect(
			result.email.attachments.find((a) => a.filename === 'report.pdf')?.binaryProperty,
		).toBeUndefined();
	});

	it('an over-size attachment is listed with skipped "size", its full size and hash, and not stored', async () => {
		const cap = 100;
		const result = await parse('attachments-mixed-types.eml', {
			...KEEP_ALL,
			maxAttachmentBytes: cap,
		});
		const pdf = result.email.attachments.find((a) => a.filename === 'report.pdf');
		expect(pdf).toMatchObject({
			skipped: 'size',
			size: REPORT_PDF.length,
			sha256: sha256(REPORT_PDF),
		});
		expect(pdf?.binaryProperty).toBeUndefined();
		expect(names(result)).toEqual(['iocs.csv', 'logo.png', 'empty.zip', 'notes.txt']);
		expect(result.attachments.map((a) => a.binaryProperty)).toEqual([
			'attachment_0',
			'attachment_1',
			'attachment_2',
			'attachment_3',
		]);
	});

	it('a part exactly at the cap is kept', async () => {
		const result = await parse('attachments-mixed-types.eml', {
			...KEEP_ALL,
			maxAttachmentBytes: REPORT_PDF.length,
		});
		expect(names(result)).toContain('report.pdf');
	});

	it('filenameFilter skips by name', async () => {
		const result = await parse('attachments-mixed-types.eml', {
			...KEEP_ALL,
			filenameFilter: (name) => !name.endsWith('.zip'),
		});
		expect(skipped(result)).toEqual({ 'empty.zip': 'filename' });
	});

	it('textTruncated: text and html are cut at the cap, never inside a surrogate pair', async () => {
		const cut = await parse('alternative.eml', { ...KEEP_ALL, maxTextChars: 10 });
		expect(cut.email.text).toBe('Hello SOC,');
		expect(cut.email.html).toBe('<p>Hello S');
		expect(cut.email.textTruncated).toBe(true);
		const whole = await parse('alternative.eml', { ...KEEP_ALL, maxTextChars: 1000 });
		expect(whole.email.textTruncated).toBe(false);

		const emoji = Buffer.from(
			'From: a@example.org\r\nSubject: x\r\nDate: Tue, 05 Mar 2024 09:15:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nab🚨cd',
			'utf8',
		);
		const result = await parseEmail(emoji, identity, { policy: { ...KEEP_ALL, maxTextChars: 3 } });
		expect(result.email.text).toBe('ab');
		expect(result.email.textTruncated).toBe(true);
	});

	it('a sink that fails (a binary-store write) rejects the parse as retryable: the message is fetched again', async () => {
		const failing: AttachmentSink<BufferedAttachment> = async (info, content) => {
			if (info.filename === 'iocs.csv') {
				content.resume();
				throw new Error('disk full');
			}
			return bufferSink(info, content);
		};
		const parsing = parseEmail(fixture('attachments-mixed-types.eml'), identity, {
			policy: KEEP_ALL,
			sink: failing,
		});
		await expect(parsing).rejects.toMatchObject({
			name: 'MailIntelError',
			code: 'SINK_WRITE',
			retryable: true,
			message: expect.stringContaining('disk full'),
		});
	});

	it('with recordTransientFailures the sink failure is recorded on the part and the parse goes on', async () => {
		const failing: AttachmentSink<BufferedAttachment> = async (info, content) => {
			if (info.filename === 'iocs.csv') {
				content.resume();
				throw new Error('disk full');
			}
			return bufferSink(info, content);
		};
		const result = await parseEmail(fixture('attachments-mixed-types.eml'), identity, {
			policy: KEEP_ALL,
			sink: failing,
			recordTransientFailures: true,
		});
		expect(skipped(result)).toEqual({ 'iocs.csv': 'error' });
		const csv = result.email.attachments.find((a) => a.filename === 'iocs.csv');
		expect(csv?.error?.code).toBe('RETRIES_EXHAUSTED');
		expect(csv?.error?.message).toMatch(/disk full/);
		expect(result.attachments.map((a) => a.info.filename)).toEqual([
			'report.pdf',
			'logo.png',
			'empty.zip',
			'notes.txt',
		]);
	});
});

/**
 * A sink that can also take a Buffer gets small parts whole; a part past 1 MB must still be
 * streamed to it, never gathered in memory first.
 */
const SINK_KINDS = [
	['a stream-only sink', false],
	['a sink that also takes Buffers', true],
] as const;

describe('a sink that also takes Buffers', () => {
	it('gets each small kept part whole, in one call, and no stream', async () => {
		const received: Record<string, Buffer> = {};
		const sink = Object.assign(
			async (): Promise<string> => {
				throw new Error('a small part was streamed');
			},
			{
				fromBuffer: async (info: AttachmentInfo, data: Buffer) => {
					received[info.filename] = data;
					return info.filename;
				},
			},
		);
		const result = await parseEmail(fixture('attachments-mixed-types.eml'), identity, {
			policy: KEEP_ALL,
			sink,
		});
		expect(result.attachments.map((a) => a.stored)).toEqual([
			'report.pdf',
			'iocs.csv',
			'logo.png',
			'empty.zip',
			'notes.txt',
		]);
		expect(received['report.pdf'].equals(REPORT_PDF)).toBe(true);
		expect(received['iocs.csv'].equals(IOC_CSV)).toBe(true);
		for (const info of result.email.attachments)
			expect(received[info.filename].length).toBe(info.size);
	});

	it('one that fails, with recordTransientFailures, marks that attachment skipped "error", with its size and no hash', async () => {
		const failing: AttachmentSink<BufferedAttachment> = Object.assign(
			(info: AttachmentInfo, content: Readable) => bufferSink(info, content),
			{
				fromBuffer: async (info: AttachmentInfo, data: Buffer) => {
					if (info.filename === 'iocs.csv') throw new Error('disk full');
					return bufferSink.fromBuffer!(info, data);
				},
			},
		);
		const result = await parseEmail(fixture('attachments-mixed-types.eml'), identity, {
			policy: KEEP_ALL,
			sink: failing,
			recordTransientFailures: true,
		});
		const csv = result.email.attachments.find((a) => a.filename === 'iocs.csv');
		expect(csv?.size).toBe(IOC_CSV.length);
		expect(csv?.skipped).toBe('error');
		expect(csv?.sha256).toBeUndefined();
		expect(result.attachments.map((a) => a.info.filename)).toEqual([
			'report.pdf',
			'logo.png',
			'empty.zip',
			'notes.txt',
		]);
	});
});

describe.each(SINK_KINDS)('a 20 MB attachment, %s', (_kind, takesBuffers) => {
	/** Adds a Buffer entry point that counts its calls (it must not be used for this part). */
	function withBufferPath<T>(sink: AttachmentSink<T>, calls: { viaBuffer: number }) {
		if (!takesBuffers) return sink;
		return Object.assign(sink, {
			fromBuffer: async (info: AttachmentInfo, data: Buffer) => {
				calls.viaBuffer++;
				return sink(info, Readable.from([data]));
			},
		});
	}
	const SIZE = 20 * 1024 * 1024;
	const { head, tail, chunk } = bigAttachmentParts(SIZE);
	const expectedHash = (() => {
		const hash = createHash('sha256');
		for (let offset = 0; offset < SIZE; offset += 1 << 20) hash.update(chunk(offset, 1 << 20));
		return hash.digest('hex');
	})();

	/** The message as a stream, produced lazily: 57-byte groups -> 76-char base64 lines. */
	function source(progress: { emitted: number }): Readable {
		return Readable.from(
			(function* () {
				yield head;
				progress.emitted += head.length;
				const perBlock = 57 * 1024; // 1,024 base64 lines per block
				for (let offset = 0; offset < SIZE; offset += perBlock) {
					const block = chunk(offset, perBlock);
					const lines = (block.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n') + '\r\n';
					const out = Buffer.from(lines, 'latin1');
					progress.emitted += out.length;
					yield out;
				}
				yield tail;
			})(),
		);
	}

	/** Hashes as bytes arrive; remembers how much of the source had been produced at the first chunk. */
	function hashingSink(progress: { emitted: number }) {
		const seen = {
			bytes: 0,
			chunks: 0,
			largestChunk: 0,
			sourceAtFirstChunk: -1,
			readDuringStall: -1,
			viaBuffer: 0,
		};
		const sink: AttachmentSink<{ sha256: string; bytes: number }> = async (_info, content) => {
			const hash = createHash('sha256');
			for await (const piece of content) {
				const buffer = piece as Buffer;
				if (seen.sourceAtFirstChunk < 0) seen.sourceAtFirstChunk = progress.emitted;
				if (seen.chunks === 20) {
					// a slow sink: the parser must wait for it instead of reading ahead into memory
					const before = progress.emitted;
					await new Promise((resolve) => setTimeout(resolve, 250));
					seen.readDuringStall = progress.emitted - before;
				}
				seen.bytes += buffer.length;
				seen.chunks++;
				seen.largestChunk = Math.max(seen.largestChunk, buffer.length);
				hash.update(buffer);
			}
			return { sha256: hash.digest('hex'), bytes: seen.bytes };
		};
		return { sink: withBufferPath(sink, seen), seen };
	}

	it('streams through the sink: it starts before the source is read, backpressure holds, and the hash matches', async () => {
		const progress = { emitted: 0 };
		const { sink, seen } = hashingSink(progress);
		const result = await parseEmail(source(progress), identity, { policy: DEFAULT_POLICY, sink });

		expect(result.email.parseError).toBeUndefined();
		expect(result.email.subject).toBe('Big attachment');
		expect(result.email.text).toBe('A large PDF follows.');
		const [kept] = result.attachments;
		expect(kept.info).toMatchObject({
			filename: 'big.pdf',
			contentType: 'application/pdf',
			size: SIZE,
			sha256: expectedHash,
			binaryProperty: 'attachment_0',
		});
		expect(kept.stored).toEqual({ sha256: expectedHash, bytes: SIZE });
		// streamed: the first decoded bytes reached the sink when only a small part of the
		// ~27 MB source existed (past the part's first MB when the sink takes Buffers: that
		// much is gathered before the part counts as large), in many small chunks
		const gathered = takesBuffers ? (IN_MEMORY_PART_BYTES * 4) / 3 : 0;
		expect(seen.sourceAtFirstChunk).toBeGreaterThan(gathered);
		expect(seen.sourceAtFirstChunk).toBeLessThan(gathered + 2 * 1024 * 1024);
		expect(seen.chunks).toBeGreaterThan(100);
		expect(seen.largestChunk).toBeLessThan(1024 * 1024);
		// backpressure: while the sink stalled for 250 ms the parser only filled its stream
		// buffers (~0.8 MB measured) instead of reading the ~27 MB source ahead into memory
		expect(seen.readDuringStall).toBeGreaterThanOrEqual(0);
		expect(seen.readDuringStall).toBeLessThan(2 * 1024 * 1024);
		expect(seen.viaBuffer).toBe(0);
	});

	it('over the cap: listed with skipped "size", its full size and hash; the sink holds at most the cap', async () => {
		const cap = 5 * 1024 * 1024;
		const progress = { emitted: 0 };
		let held = 0;
		const calls = { viaBuffer: 0 };
		const sink = withBufferPath<Buffer>(async (_info, content) => {
			const chunks: Buffer[] = [];
			for await (const piece of content) {
				chunks.push(piece as Buffer);
				held += (piece as Buffer).length;
			}
			return Buffer.concat(chunks);
		}, calls);
		const result = await parseEmail(source(progress), identity, {
			policy: { ...DEFAULT_POLICY, maxAttachmentBytes: cap },
			sink,
		});
		expect(result.attachments).toEqual([]);
		expect(result.email.attachments).toEqual([
			{
				id: '2',
				filename: 'big.pdf',
				contentType: 'application/pdf',
				disposition: 'attachment',
				size: SIZE,
				inline: false,
				skipped: 'size',
				sha256: expectedHash,
			},
		]);
		expect(held).toBeLessThanOrEqual(cap);
		expect(calls.viaBuffer).toBe(0);
	});

	it('from a Buffer source too (the whole message in memory once)', async () => {
		const parts: Buffer[] = [head];
		for (let offset = 0; offset < SIZE; offset += 57 * 1024) {
			parts.push(
				Buffer.from(
					(
						chunk(offset, 57 * 1024)
							.toString('base64')
							.match(/.{1,76}/g) ?? []
					).join('\r\n') + '\r\n',
					'latin1',
				),
			);
		}
		parts.push(tail);
		const progress = { emitted: Number.MAX_SAFE_INTEGER };
		const { sink } = hashingSink(progress);
		const result = await parseEmail(Buffer.concat(parts), identity, {
			policy: DEFAULT_POLICY,
			sink,
		});
		expect(result.attachments[0].stored).toEqual({ sha256: expectedHash, bytes: SIZE });
		expect(result.attachments[0].info.sha256).toBe(expectedHash);
	});
});
