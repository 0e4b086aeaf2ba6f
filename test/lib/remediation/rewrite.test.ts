import { Readable } from 'node:stream';

import { simpleParser } from 'mailparser';

import { rewriteMessage, type RewriteSpec } from '../../../lib/remediation/rewrite';
import { encodeWindows1251, file, message, multipart, text } from '../../fixtures/mime-factory';

/** The streamed rewrite alone, on sources fed in small chunks (as a download arrives). */
async function rewrite(source: Buffer, spec: Partial<RewriteSpec>) {
	const chunks = Array.from({ length: Math.ceil(source.length / 997) }, (_, i) =>
		source.subarray(i * 997, (i + 1) * 997),
	);
	const { stream, outcome } = rewriteMessage(Readable.from(chunks), {
		remove: new Map(),
		headers: [],
		rewriteOf: 'sha256-test',
		...spec,
	});
	const parts: Buffer[] = [];
	for await (const part of stream) parts.push(part as Buffer);
	const raw = Buffer.concat(parts);
	return { raw, outcome, parsed: await simpleParser(raw) };
}

test('a text-only message keeps its text/plain form and gets the text banner, the body untouched', async () => {
	const source = message(
		{ From: 'a@example.org', Subject: 'Plain' },
		text('Hello <b>not html</b>\nbye'),
	);
	const { parsed, outcome, raw } = await rewrite(source, {
		htmlBanner: '<div data-email-intel-banner="1">B</div>',
		textBanner: '[Security Notice] removed\r\n\r\n',
	});
	expect(outcome).toEqual({ removed: [], htmlBanner: false, textBanner: true });
	expect(parsed.html).toBe(false);
	expect(parsed.headers.get('content-type')).toMatchObject({ value: 'text/plain' });
	expect(parsed.text).toBe('[Security Notice] removed\n\nHello <b>not html</b>\nbye\n');
	expect(raw.toString()).toMatch(
		/^X-Email-Intel-Banner: added\r\nX-Email-Intel-Rewrite-Of: sha256-test\r\n/,
	);
});

test('a body in a charset that cannot carry the banner keeps its charset and bytes; the banner degrades to ?', async () => {
	const body = encodeWindows1251('Привет');
	const source = message(
		{ From: 'a@example.org', Subject: 'Cyrillic' },
		{
			headers: [
				['Content-Type', 'text/plain; charset=windows-1251'],
				['Content-Transfer-Encoding', '8bit'],
			],
			body,
		},
	);
	const { parsed } = await rewrite(source, {
		textBanner: '[Security Notice] Anhang entfernt – ü\r\n',
	});
	expect(parsed.text).toBe('[Security Notice] Anhang entfernt ? ?\nПривет\n');
});

test('a removed attachment of 5 MB leaves no byte of itself, whatever the chunking', async () => {
	const big = Buffer.alloc(5 * 1024 * 1024, 'A');
	const source = message(
		{ From: 'a@example.org', Subject: 'Big', 'X-Attachment-Scan': 'clean' },
		multipart('mixed', 'b', [
			text('see attachment'),
			file({
				contentType: 'application/zip',
				data: big,
				disposition: 'attachment; filename="big.zip"',
			}),
		]),
	);
	const { raw, parsed, outcome } = await rewrite(source, {
		remove: new Map([['2', { filename: 'big.zip', contentType: 'application/zip' }]]),
		headers: [['X-Attachment-Scan', 'malicious']],
		subjectTag: '[Suspicious]',
	});
	expect(outcome.removed).toEqual(['2']);
	expect(raw.length).toBeLessThan(4096);
	expect(raw.toString()).not.toContain('QUFBQUFB');
	expect(parsed.attachments).toEqual([]);
	expect(parsed.text).toContain(
		'This attachment was removed for security review: big.zip (application/zip).',
	);
	// the header is replaced, not doubled; the subject keeps its original line after the tag
	expect(parsed.headers.get('x-attachment-scan')).toBe('malicious');
	expect(raw.toString().match(/X-Attachment-Scan/g)).toHaveLength(1);
	expect(parsed.subject).toBe('[Suspicious] Big');
});
