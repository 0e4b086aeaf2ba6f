import {
	escapeHtml,
	prependHtmlBanner,
	prependTextBanner,
	renderHtmlBanner,
	renderTextBanner,
	tagSubject,
	untagSubject,
} from '../../../lib/remediation/banner';
import {
	DEFAULT_BANNER_HTML,
	validatePolicy,
	DEFAULT_POLICY,
} from '../../../lib/remediation/policy';
import { chooseAttachments } from '../../../lib/remediation/select';
import type { ScanReport } from '../../../lib/scan/types';

describe('banner', () => {
	const facts = { subject: 'Hi', removedFiles: ['a.exe'], verdict: 'Malicious' };

	test("the default banner is seed 004's notice, marked, with the removed file names", () => {
		const html = renderHtmlBanner({ bannerHtml: DEFAULT_BANNER_HTML }, facts);
		expect(html).toMatch(
			/^<div data-email-intel-banner="1"><div style="border:1px solid #f00;background:#fee;padding:12px;margin-bottom:12px;">/,
		);
		expect(html).toContain(
			'<strong>Security Notice:</strong> An attachment was removed from this email during scanning.',
		);
		expect(html).toContain('<br>Removed: <code>a.exe</code>');
	});

	test('subject, file names and verdict are escaped; a value is never expanded twice', () => {
		const html = renderHtmlBanner(
			{ bannerHtml: '<p>{{subject}}|{{removedFiles}}|{{verdict}}</p>' },
			{
				subject: '</div><script>x</script>{{verdict}}',
				removedFiles: ['"><b>.exe'],
				verdict: '<i>',
			},
		);
		expect(html).toBe(
			'<div data-email-intel-banner="1"><p>&lt;/div&gt;&lt;script&gt;x&lt;/script&gt;{{verdict}}|<br>Removed: <code>&quot;&gt;&lt;b&gt;.exe</code>|&lt;i&gt;</p></div>',
		);
	});

	test('non-ASCII text becomes numeric references, so the banner fits any ASCII-compatible charset', () => {
		expect(escapeHtml('Rechnung für 😀')).toBe('Rechnung f&#252;r &#128512;');
		expect(
			renderHtmlBanner(
				{ bannerHtml: 'Achtung: Anhang entfernt – {{subject}}' },
				{ ...facts, subject: 'ü' },
			),
		).toBe('<div data-email-intel-banner="1">Achtung: Anhang entfernt &#8211; &#252;</div>');
	});

	test('goes after <body ...>, or first when there is none; never twice', () => {
		const banner = renderHtmlBanner({ bannerHtml: 'B' }, facts);
		const once = prependHtmlBanner('<html><BODY class="x"><p>t</p></BODY></html>', banner);
		expect(once).toEqual({
			html: `<html><BODY class="x">${banner}<p>t</p></BODY></html>`,
			added: true,
		});
		expect(prependHtmlBanner(once.html, banner)).toEqual({ html: once.html, added: false });
		expect(prependHtmlBanner('<p>t</p>', banner).html).toBe(`${banner}<p>t</p>`);
	});

	test('the text banner is plain text and detected on a second run', () => {
		const text = renderTextBanner({ ...facts, removedFiles: ['<b>.exe'] });
		expect(text).toContain('Removed: <b>.exe');
		const once = prependTextBanner('body', text);
		expect(once.added).toBe(true);
		expect(prependTextBanner(once.text, text).added).toBe(false);
	});

	test('the subject tag is added once and taken off again', () => {
		expect(tagSubject('Invoice', '[Suspicious]')).toEqual({
			subject: '[Suspicious] Invoice',
			added: true,
		});
		expect(tagSubject('[Suspicious] Invoice', '[Suspicious]').added).toBe(false);
		expect(untagSubject('[Suspicious] Invoice', '[Suspicious]')).toBe('Invoice');
		expect(untagSubject('Invoice', '[Suspicious]')).toBe('Invoice');
	});
});

describe('which attachments are removed', () => {
	const present = [
		{ id: '2', filename: 'report.pdf', contentType: 'application/pdf' },
		{ id: '3', filename: 'invoice.exe', contentType: 'application/octet-stream' },
		{
			id: '4',
			filename: 'macro.docm',
			contentType: 'application/vnd.ms-word.document.macroenabled.12',
		},
		{ id: '5', filename: 'earlier.exe', contentType: 'text/plain', placeholder: true },
	];
	const scan: ScanReport = {
		verdict: 'Malicious',
		engine: 'dsxa',
		scannedAt: '2026-12-01T00:00:00Z',
		files: [
			{
				attachment: { id: '3', filename: 'invoice.exe', size: 1 },
				verdict: 'Malicious',
				threatType: 'Trojan',
				engine: 'dsxa',
				durationMs: 1,
			},
			{
				attachment: { id: '2', filename: 'report.pdf', size: 1 },
				verdict: 'Benign',
				engine: 'dsxa',
				durationMs: 1,
			},
			{
				attachment: { id: '9', filename: 'gone.exe', size: 1 },
				verdict: 'Malicious',
				engine: 'dsxa',
				durationMs: 1,
			},
		],
	};

	test('those the scan marks Malicious, by attachment id; placeholders and vanished ids never', () => {
		expect(chooseAttachments(present, DEFAULT_POLICY, scan)).toEqual([
			{ attachment: present[1], reason: 'malicious', threatType: 'Trojan' },
		]);
	});

	test('and those a file name rule or a MIME pattern selects', () => {
		const chosen = chooseAttachments(
			present,
			{
				deleteAttachments: true,
				filenamePatterns: '*.pdf',
				mimePatterns: ['application/vnd.ms-word.document.macroenabled.12'],
			},
			undefined,
		);
		expect(chosen.map((c) => [c.attachment.id, c.reason])).toEqual([
			['2', 'filename'],
			['4', 'mimeType'],
		]);
	});

	test('none when deleting is off', () => {
		expect(
			chooseAttachments(present, { ...DEFAULT_POLICY, deleteAttachments: false }, scan),
		).toEqual([]);
	});
});

test('a policy that would inject headers is refused, naming the field', () => {
	expect(() =>
		validatePolicy({ ...DEFAULT_POLICY, headers: { 'X-A': 'x\r\nBcc: all@corp' } }),
	).toThrow(expect.objectContaining({ field: 'headers' }));
	expect(() => validatePolicy({ ...DEFAULT_POLICY, headers: { 'X A': 'x' } })).toThrow(
		expect.objectContaining({ field: 'headers' }),
	);
	expect(() => validatePolicy({ ...DEFAULT_POLICY, subjectTag: '[a]\nBcc: x' })).toThrow(
		expect.objectContaining({ field: 'subjectTag' }),
	);
});
