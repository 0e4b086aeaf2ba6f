import type { NormalizedEmail } from '../mail/types';

/**
 * The report's `content` (OpenCTI shows it as HTML in the Content tab): the HTML body; for a
 * text-only email the text HTML-escaped as Python's `html.escape(text, quote=False)` (`&`,
 * `<`, `>`; quotes stay) with `\r\n` and `\r` made `\n` and every `\n` written `<br>\n`, so
 * the text keeps its lines and cannot inject markup; `""` when the email has no body.
 */
export function reportContent(email: Pick<NormalizedEmail, 'html' | 'text'>): string {
	if (email.html) return email.html;
	if (!email.text) return '';
	return email.text
		.replace(/[&<>]/g, (char) => HTML_ESCAPES[char])
		.replace(/\r\n?/g, '\n')
		.replace(/\n/g, '<br>\n');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
