import type { RemediationPolicy } from './policy';

/**
 * The banner prepended to a remediated message, in HTML and in text. Everything taken from the
 * message (subject, file names, verdict) is HTML-escaped before it enters the template, so an
 * attacker's `</div><script>` in a subject or file name stays text inside the banner. The
 * rendered banner is wrapped in a marked element so a second run sees it and does not add
 * another (idempotency), and is written with ASCII only (other characters as numeric
 * references), so it can be inserted into an HTML part of any ASCII-compatible charset unchanged.
 */

/** The attribute that marks our banner; its presence means "banner already there". */
export const BANNER_MARKER = 'data-email-intel-banner';
/** First line of the text banner; its presence at the top of a text body means "already there". */
export const TEXT_BANNER_FIRST_LINE = '[Security Notice]';

export interface BannerFacts {
	subject: string;
	/** Sanitized file names of the attachments removed. */
	removedFiles: string[];
	/** The overall verdict of the scan, when there was one. */
	verdict?: string;
}

const HTML_ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

/** Escapes text for HTML content and attribute values; non-ASCII becomes a numeric reference. */
export function escapeHtml(text: string): string {
	let out = '';
	for (const char of text) {
		const code = char.codePointAt(0) as number;
		if (HTML_ESCAPES[char]) out += HTML_ESCAPES[char];
		else if (code > 0x7e || (code < 0x20 && char !== '\n' && char !== '\t')) out += `&#${code};`;
		else out += char;
	}
	return out;
}

/** Non-ASCII characters of a template the user wrote, as numeric references (markup kept). */
function asciiHtml(html: string): string {
	let out = '';
	for (const char of html) {
		const code = char.codePointAt(0) as number;
		out += code > 0x7e ? `&#${code};` : char;
	}
	return out;
}

function removedFilesHtml(files: string[]): string {
	if (files.length === 0) return '';
	return `<br>Removed: ${files.map((name) => `<code>${escapeHtml(name)}</code>`).join(', ')}`;
}

/** The banner as HTML: the template with the facts escaped, in the marked wrapper. */
export function renderHtmlBanner(
	policy: Pick<RemediationPolicy, 'bannerHtml'>,
	facts: BannerFacts,
): string {
	// One pass over the template: a value that itself contains `{{subject}}` is not expanded again.
	const html = asciiHtml(policy.bannerHtml).replace(
		/\{\{(subject|removedFiles|verdict)\}\}/g,
		(_match, name: string) =>
			name === 'subject'
				? escapeHtml(facts.subject)
				: name === 'verdict'
					? escapeHtml(facts.verdict ?? '')
					: removedFilesHtml(facts.removedFiles),
	);
	return `<div ${BANNER_MARKER}="1">${html}</div>`;
}

/** The banner for a text-only body: plain lines, nothing interpreted. */
export function renderTextBanner(facts: BannerFacts): string {
	const lines = [
		`${TEXT_BANNER_FIRST_LINE} An attachment was removed from this email during scanning.`,
		'If you believe this is an error, please contact your security team.',
	];
	if (facts.removedFiles.length > 0) lines.push(`Removed: ${facts.removedFiles.join(', ')}`);
	return `${lines.join('\r\n')}\r\n${'-'.repeat(40)}\r\n\r\n`;
}

/** How far into an HTML body `<body ...>` is looked for; the banner goes at the start when it is not there. */
export const BODY_TAG_WINDOW = 64 * 1024;

/**
 * Where the banner goes in an HTML document: right after the `<body ...>` tag when the start of
 * the document has one, else at the very start. Linear in the text looked at.
 */
export function bannerOffset(head: string): number {
	const match = /<body\b[^>]*>/i.exec(head);
	return match ? match.index + match[0].length : 0;
}

/** Inserts the banner into a whole HTML body (Graph's `body.content`), unless it is there already. */
export function prependHtmlBanner(html: string, banner: string): { html: string; added: boolean } {
	if (hasHtmlBanner(html)) return { html, added: false };
	const at = bannerOffset(html.slice(0, BODY_TAG_WINDOW));
	return { html: html.slice(0, at) + banner + html.slice(at), added: true };
}

export function hasHtmlBanner(html: string): boolean {
	return html.includes(`${BANNER_MARKER}="1"`);
}

/** Text banner, escaped for a text body that Graph keeps as `text`. */
export function prependTextBanner(text: string, banner: string): { text: string; added: boolean } {
	if (text.trimStart().startsWith(TEXT_BANNER_FIRST_LINE)) return { text, added: false };
	return { text: banner + text, added: true };
}

/** The subject with the tag in front, unless it starts with it already. */
export function tagSubject(subject: string, tag: string): { subject: string; added: boolean } {
	if (!tag || subject.startsWith(tag)) return { subject, added: false };
	return { subject: `${tag} ${subject}`, added: true };
}

/** The subject without the tag (Release). */
export function untagSubject(subject: string, tag: string): string {
	if (!tag || !subject.startsWith(tag)) return subject;
	return subject.slice(tag.length).replace(/^ /, '');
}
