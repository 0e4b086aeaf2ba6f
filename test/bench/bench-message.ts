// The ~21 KB test message of the IMAP benchmarks and the real-n8n backlog runs (imap-ingest,
// e2e, test/e2e/imap-10k.e2e.test.ts): one generator, so every figure is about the same mail.
import { randomBytes } from 'node:crypto';

/**
 * Message `i` of `total`, ~21 KB: text + html + an 8 KB PDF + a 4 KB CSV, base64 encoded, dated
 * `total - i` seconds ago (so UID order is date order) with a unique Message-ID.
 */
export function benchMessage(i: number, total: number): Buffer {
	const boundary = `mix-${i}`;
	const alt = `alt-${i}`;
	const pdf = Buffer.concat([
		Buffer.from('%PDF-1.4\n'),
		randomBytes(8 * 1024 - 20),
		Buffer.from('\n%%EOF\n'),
	]);
	const csv = Array.from(
		{ length: 100 },
		(_, row) => `${i},${row},indicator-${row}.example.com,198.51.100.${row % 250},malicious`,
	).join('\n');
	const b64 = (data: Buffer | string) =>
		Buffer.from(data).toString('base64').replace(/.{76}/g, '$&\r\n');
	const text = `Report ${i}\r\n${'Indicators of compromise attached. '.repeat(30)}`;
	const html = `<html><body><h1>Report ${i}</h1><p>${'Indicators of compromise <b>attached</b>. '.repeat(40)}</p></body></html>`;
	return Buffer.from(
		[
			'From: Threat Feed <feed@example.org>',
			'To: soc@example.com',
			`Subject: Threat report ${i}`,
			`Date: ${new Date(Date.now() - (total - i) * 1000).toUTCString().replace('GMT', '+0000')}`,
			`Message-ID: <bench-${i}-${randomBytes(4).toString('hex')}@example.org>`,
			'MIME-Version: 1.0',
			`Content-Type: multipart/mixed; boundary="${boundary}"`,
			'',
			`--${boundary}`,
			`Content-Type: multipart/alternative; boundary="${alt}"`,
			'',
			`--${alt}`,
			'Content-Type: text/plain; charset=utf-8',
			'',
			text,
			`--${alt}`,
			'Content-Type: text/html; charset=utf-8',
			'',
			html,
			`--${alt}--`,
			`--${boundary}`,
			`Content-Type: application/pdf; name="report-${i}.pdf"`,
			`Content-Disposition: attachment; filename="report-${i}.pdf"`,
			'Content-Transfer-Encoding: base64',
			'',
			b64(pdf),
			`--${boundary}`,
			`Content-Type: text/csv; name="iocs-${i}.csv"`,
			`Content-Disposition: attachment; filename="iocs-${i}.csv"`,
			'Content-Transfer-Encoding: base64',
			'',
			b64(csv),
			`--${boundary}--`,
			'',
		].join('\r\n'),
	);
}
