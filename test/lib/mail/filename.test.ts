import {
	attachmentNames,
	fallbackFilename,
	MAX_FILENAME_BYTES,
	sanitizeFilename,
} from '../../../lib/mail/filename';

const bytes = (value: string) => Buffer.byteLength(value, 'utf8');

describe('sanitizeFilename', () => {
	it.each([
		['../../etc/passwd.csv', 'passwd.csv'],
		['..\\..\\win.ini.txt', 'win.ini.txt'],
		['C:\\Users\\bob\\report.pdf', 'report.pdf'],
		['/abs/path/a.pdf', 'a.pdf'],
		['evil.exe/.pdf', 'pdf'],
		[' ..report.pdf. ', 'report.pdf'],
		['report.pdf...', 'report.pdf'],
		['invoice\u202Efdp.exe', 'invoicefdp.exe'],
		['a\u202Ab\u202Bc\u202Cd\u202De\u202Ef.txt', 'abcdef.txt'],
		['a\u2066b\u2067c\u2068d\u2069e.txt', 'abcde.txt'],
		['a\u200Eb\u200Fc\u061Cd.txt', 'abcd.txt'],
		['nul\u0000byte.pdf', 'nulbyte.pdf'],
		['tab\there\r\nnew\u007f\u0085line.csv', 'tabherenewline.csv'],
		['Отчёт о фишинге.txt', 'Отчёт о фишинге.txt'],
		['Zusammenfassung Ärger 🚨.csv', 'Zusammenfassung Ärger 🚨.csv'],
	])('%j -> %j', (sent, safe) => {
		expect(sanitizeFilename(sent)).toBe(safe);
	});

	it.each([undefined, null, '', '..', '../..', ' . ', '\u202E', 'dir/', '\u0000\u0001'])(
		'%j leaves nothing: undefined (the caller falls back)',
		(sent) => {
			expect(sanitizeFilename(sent)).toBeUndefined();
		},
	);

	it('cuts at 255 UTF-8 bytes on a character boundary and keeps the extension', () => {
		const accents = `${'é'.repeat(300)}.pdf`;
		const cut = sanitizeFilename(accents)!;
		expect(bytes(cut)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
		expect(cut.endsWith('é.pdf')).toBe(true);
		expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut); // no half character
		const emoji = sanitizeFilename(`${'🚨'.repeat(100)}.csv`)!;
		expect(emoji).toBe(`${'🚨'.repeat(62)}.csv`); // 62 * 4 + 4 = 252 bytes; a 63rd would pass 255
		expect(emoji).not.toMatch(/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/);
	});

	it('an extension longer than 32 bytes is not kept whole; a name at exactly 255 bytes stays', () => {
		const long = sanitizeFilename(`name.${'x'.repeat(400)}`)!;
		expect(bytes(long)).toBe(MAX_FILENAME_BYTES);
		const exact = `${'a'.repeat(251)}.pdf`;
		expect(sanitizeFilename(exact)).toBe(exact);
	});

	it('1 MB of separators, dots or bidi marks yields a name or nothing, in one pass', () => {
		expect(sanitizeFilename(`${'/'.repeat(1 << 20)}x.pdf`)).toBe('x.pdf');
		expect(sanitizeFilename(`${'.'.repeat(1 << 20)}x.pdf`)).toBe('x.pdf');
		expect(sanitizeFilename('\u202E'.repeat(1 << 20))).toBeUndefined();
		expect(bytes(sanitizeFilename('a'.repeat(1 << 20))!)).toBe(MAX_FILENAME_BYTES);
	});
});

describe('attachmentNames', () => {
	it('keeps the sent name as originalFilename only when it differs', () => {
		expect(attachmentNames('report.pdf', 'application/pdf', 0)).toEqual({
			filename: 'report.pdf',
		});
		expect(attachmentNames('../../etc/passwd.csv', 'text/csv', 0)).toEqual({
			filename: 'passwd.csv',
			originalFilename: '../../etc/passwd.csv',
		});
	});

	it('falls back to attachment-N.<ext of the declared type> when nothing is left', () => {
		expect(attachmentNames('../', 'application/pdf', 2)).toEqual({
			filename: 'attachment-3.pdf',
			originalFilename: '../',
		});
		expect(attachmentNames(undefined, 'text/plain', 0)).toEqual({ filename: 'attachment-1.txt' });
		expect(fallbackFilename('message/rfc822', 4)).toBe('message-5.eml');
		expect(fallbackFilename('image/svg+xml', 0)).toBe('attachment-1.svg');
		// Only letters, digits and '-' from a subtype reach the name.
		expect(fallbackFilename('application/vnd.ms-excel', 0)).toBe('attachment-1.vndms-excel');
		expect(fallbackFilename('garbage', 0)).toBe('attachment-1.bin');
	});
});
