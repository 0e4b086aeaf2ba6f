import { MailIntelError } from '../errors';

/**
 * What the Mail Remediation node does to one message. Every action is a toggle; the default
 * (seed 004, "Strip + Banner") deletes the malicious attachment(s) and prepends the banner.
 * The same policy serves every provider; where a provider cannot do something (Graph cannot set
 * headers on received mail) the result says what it did instead.
 */
export interface RemediationPolicy {
	/** Delete the attachments `scan` marks Malicious (and those the patterns select). */
	deleteAttachments: boolean;
	/**
	 * Also delete attachments whose sanitized file name an include rule matches: the trigger's
	 * rsync-style rules (lib/mail/filename-filter.ts), e.g. `*.exe` or `*.js` one per line.
	 */
	filenamePatterns: string;
	/** Also delete attachments whose DECLARED type matches one of these (`application/x-msdownload`, `application/*`). */
	mimePatterns: string[];
	/** Prepend the banner to the HTML body (and a text banner to the text body). */
	banner: boolean;
	/** HTML template; `{{subject}}`, `{{removedFiles}}`, `{{verdict}}` are replaced HTML-escaped. */
	bannerHtml: string;
	/** Prefix for the subject (`[Suspicious]`); empty: none. */
	subjectTag: string;
	/** Header name -> value added to the message (IMAP and Gmail rewrite); categories on Graph. */
	headers: Record<string, string>;
	/** Graph categories / IMAP keywords added (never removing the user's own). */
	categories: string[];
	/** Move the message to this folder (created when missing); empty: stay. */
	quarantineFolder: string;
	/** Copy the untouched original here before any rewrite; empty: no audit copy. */
	auditFolder: string;
}

/** Seed 004's banner ("M365 Email Attachments Connector", Banner Template), plus the removed file names. */
export const DEFAULT_BANNER_HTML = [
	'<div style="border:1px solid #f00;background:#fee;padding:12px;margin-bottom:12px;">',
	'  <strong>Security Notice:</strong> An attachment was removed from this email during scanning.',
	'  If you believe this is an error, please contact your security team.',
	'  {{removedFiles}}',
	'</div>',
].join('\n');

export const DEFAULT_POLICY: RemediationPolicy = {
	deleteAttachments: true,
	filenamePatterns: '',
	mimePatterns: [],
	banner: true,
	bannerHtml: DEFAULT_BANNER_HTML,
	subjectTag: '',
	headers: {},
	categories: [],
	quarantineFolder: '',
	auditFolder: 'Email Intel Audit',
};

/** RFC 5322 field name: printable ASCII except colon. */
const HEADER_NAME = /^[!-9;-~]+$/;
/** IMAP keyword atom (RFC 3501 atom-specials excluded) as keywords are stored. */
const KEYWORD = /^[^\s(){%*"\\\]\x00-\x1f\x7f]+$/;

/** Checks a policy once, before anything is changed; errors name the parameter and the fix. */
export function validatePolicy(policy: RemediationPolicy): RemediationPolicy {
	const fail = (field: string, message: string, hint: string) =>
		new MailIntelError(message, { source: 'config', code: 'INVALID_POLICY', field, hint });
	for (const [name, value] of Object.entries(policy.headers)) {
		if (!HEADER_NAME.test(name))
			throw fail('headers', `"${name}" is not a header name`, 'Use a name like X-Attachment-Scan.');
		if (/[\r\n]/.test(value))
			throw fail('headers', `the value of ${name} contains a line break`, 'Write it on one line.');
	}
	if (/[\r\n]/.test(policy.subjectTag))
		throw fail('subjectTag', 'the subject tag contains a line break', 'Write it on one line.');
	for (const category of policy.categories) {
		if (category.trim() === '')
			throw fail('categories', 'an empty category', 'Remove the empty entry.');
	}
	return policy;
}

/** Whether a category can also be an IMAP keyword as it is (atom characters only). */
export function isKeyword(name: string): boolean {
	return KEYWORD.test(name);
}
