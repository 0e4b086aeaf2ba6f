import { createHash } from 'node:crypto';

/**
 * What remediation leaves on a message so that a retry or a second run recognises its own work.
 * Documented in the README ("Mail Remediation", "How a run recognises its own work").
 */

/** On a rewrite: which original it replaces. A retry after a cut finds it (IMAP: SEARCH HEADER; Gmail: rfc822msgid, then this header). */
export const REWRITE_OF_HEADER = 'X-Email-Intel-Rewrite-Of';
/** On a rewrite: the banner is in the body (a second run does not add another). */
export const BANNER_HEADER = 'X-Email-Intel-Banner';
/** Content-Description of the small text part that stands where an attachment was removed. */
export const PLACEHOLDER_DESCRIPTION = 'Email Intel: attachment removed';

/**
 * The value of REWRITE_OF_HEADER for an original: a hash of what names it in its server (account,
 * folder, UIDVALIDITY, UID; not host and port, by which the same server may be reached several
 * ways), so the value is unique and no substring of another (IMAP SEARCH HEADER matches substrings).
 */
export function rewriteOf(original: {
	account: string;
	mailbox: string;
	uidValidity?: string;
	uid?: number;
	/** Gmail: the message id (an IMAP message is named by UIDVALIDITY and UID instead). */
	id?: string;
}): string {
	const parts = [original.account, original.mailbox, original.uidValidity, original.uid];
	const name = [...parts, ...(original.id !== undefined ? [original.id] : [])].join('\n');
	return `sha256-${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

/**
 * IMAP keyword set on an original once its audit copy exists, so a run cut before the rewrite
 * was appended does not copy it again when retried. Not carried over to the rewrite.
 */
export const AUDITED_KEYWORD = '$EmailIntelAudited';
/** IMAP keyword meaning "quarantined by Email Intel". */
export const QUARANTINE_KEYWORD = '$EmailIntelQuarantine';
/**
 * IMAP keyword recording the folder a message was quarantined from: the prefix then the folder
 * name in hex (a keyword is an atom; folder names are not). One per origin folder.
 */
export const ORIGIN_KEYWORD_PREFIX = '$EmailIntelFrom_';

export function originKeyword(folder: string): string {
	return `${ORIGIN_KEYWORD_PREFIX}${Buffer.from(folder, 'utf8').toString('hex')}`;
}

export function originFromKeywords(
	flags: Iterable<string>,
): { keyword: string; folder: string } | undefined {
	for (const flag of flags) {
		if (!flag.startsWith(ORIGIN_KEYWORD_PREFIX)) continue;
		const hex = flag.slice(ORIGIN_KEYWORD_PREFIX.length);
		if (/^(?:[0-9a-f]{2})+$/i.test(hex))
			return { keyword: flag, folder: Buffer.from(hex, 'hex').toString('utf8') };
	}
	return undefined;
}

/**
 * Graph: the single-value extended property (a named MAPI string property in our own property
 * set) recording the folder id a message was quarantined from. Graph keeps it with the message
 * through moves and nobody sees it in Outlook.
 */
export const GRAPH_ORIGIN_PROPERTY =
	'String {3f1b8f2e-6c52-4c4e-9a55-0f3f6a4e1c21} Name EmailIntelQuarantinedFrom';
/**
 * Graph: the extended property recording the id of the audit copy made of a message, so a run
 * that failed after the copy (a DELETE or PATCH refused, a connection lost) does not copy again
 * when it is retried.
 */
export const GRAPH_AUDIT_PROPERTY =
	'String {3f1b8f2e-6c52-4c4e-9a55-0f3f6a4e1c21} Name EmailIntelAuditCopy';
/** Graph category meaning "quarantined by Email Intel" (Release removes it). */
export const QUARANTINE_CATEGORY = 'Email Intel: Quarantined';
/** Graph category added when the body or subject could not be changed (received mail). */
export const FALLBACK_CATEGORY = 'Email Intel: Attachment Removed';

/**
 * Gmail: hidden label put on an original once its audit copy was inserted, so a run cut before
 * the rewrite was inserted does not insert a second copy when retried (IMAP: AUDITED_KEYWORD).
 * Not carried over to the rewrite.
 */
export const GMAIL_AUDITED_LABEL = 'Email Intel/Audited';
/** Gmail: domain of the Message-ID a rewrite gets when its original had none (it is how a retry finds it). */
export const GMAIL_MESSAGE_ID_DOMAIN = 'email-intel.invalid';

/**
 * Gmail: the hidden label recording a quarantine: which label quarantined the message and which
 * labels it took away (INBOX), so Release puts back exactly those. Label ids only (system names
 * and `Label_…`), which contain neither spaces nor commas.
 */
const GMAIL_QUARANTINE_MARKER = /^Email Intel\/Quarantined in (\S+) from (\S+)$/;

export function gmailQuarantineMarker(quarantineLabelId: string, removed: string[]): string {
	return `Email Intel/Quarantined in ${quarantineLabelId} from ${removed.length > 0 ? removed.join(',') : '-'}`;
}

export function parseGmailQuarantineMarker(
	name: string,
): { quarantine: string; removed: string[] } | undefined {
	const match = GMAIL_QUARANTINE_MARKER.exec(name);
	if (!match) return undefined;
	return { quarantine: match[1], removed: match[2] === '-' ? [] : match[2].split(',') };
}
