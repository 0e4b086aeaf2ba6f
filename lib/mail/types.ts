/**
 * The normalized email item: one JSON shape emitted by every trigger (IMAP, Graph, Gmail),
 * so the action nodes downstream never care where a message came from.
 * Field names follow what EmailEngine and Microsoft Graph users already know (README "The normalized email item").
 */

/** `file`: parsed from an .eml the workflow already had (the Parse node); no mailbox to act on. */
export type ProviderName = 'imap' | 'gmail' | 'graph' | 'file';

export interface EmailAddress {
	name: string;
	address: string;
}

/** Why an attachment is listed in `attachments[]` but has no binary property. */
export type AttachmentSkipReason =
	| 'size' // larger than the per-attachment cap
	| 'mimeType' // not on the MIME allow-list
	| 'inline' // inline part while the policy keeps only real attachments
	| 'filename' // excluded by the filename include/exclude filter
	| 'kind' // a Graph item/reference attachment, skipped by policy
	| 'error'; // a permanent failure of this part: undecodable MIME, the provider answers 403/404 for it,
// or a transient failure that outlived the retry budget (see `AttachmentInfo.error`)

/** Why an attachment has `skipped: "error"`: what failed, in words a user can act on. */
export interface AttachmentFailure {
	/** `MIME_DECODE`, `NOT_FOUND`, `FORBIDDEN`, `RETRIES_EXHAUSTED`, ... (MailIntelError codes). */
	code: string;
	message: string;
}

export interface AttachmentInfo {
	/** Stable within the message: the MIME part path for IMAP, the attachment id for Graph/Gmail. */
	id: string;
	/**
	 * Safe to use as a file name anywhere (lib/mail/filename.ts): no path, no control or bidi
	 * characters, at most 255 UTF-8 bytes. Every consumer (binary data, OpenCTI, filters,
	 * scanners, remediation) uses this one.
	 */
	filename: string;
	/** The name exactly as the sender wrote it, when it differs from `filename`. */
	originalFilename?: string;
	/**
	 * The DECLARED Content-Type, lower-case, parameters dropped: never a type guessed from the
	 * file name (an attacker names an executable `report.pdf`). Graph: its `contentType`.
	 */
	contentType: string;
	/** The part's Content-Disposition as declared (`attachment` / `inline`); absent when it had none. */
	disposition?: 'attachment' | 'inline';
	/** Decoded size in bytes (for a skipped part: as far as it was read, or the provider's figure). */
	size: number;
	inline: boolean;
	/** Content-ID without angle brackets, as HTML `cid:` links and Graph write it. */
	contentId?: string;
	/** Hex SHA-256 of the decoded content; absent when the part was not read to the end. */
	sha256?: string;
	/** Name of the n8n binary property holding the bytes (`attachment_0`, ...). */
	binaryProperty?: string;
	skipped?: AttachmentSkipReason;
	/** Set with `skipped: "error"`. */
	error?: AttachmentFailure;
	/** Provider-specific kind (`fileAttachment`, `itemAttachment`, `referenceAttachment`). */
	kind?: string;
}

export interface NormalizedEmail {
	provider: ProviderName;
	account: string;
	/** Folder path (IMAP), folder id (Graph) or label (Gmail). */
	mailbox: string;
	/** Provider-stable id: `${uidValidity}:${uid}` for IMAP, the immutable id for Graph. */
	id: string;
	/** A URI an action node can act on later (see lib/mail/locator.ts). */
	locator: string;
	uid?: number;
	uidValidity?: string;
	threadId?: string;
	messageId?: string;
	inReplyTo?: string;
	references: string[];
	subject: string;
	from?: EmailAddress;
	sender?: EmailAddress;
	replyTo: EmailAddress[];
	to: EmailAddress[];
	cc: EmailAddress[];
	bcc: EmailAddress[];
	/** ISO-8601 UTC. From the Date header; the server's received time when that is missing/invalid. */
	date: string;
	/** True when `date` is not the Date header but the received time (header missing or invalid). */
	dateFromReceived?: boolean;
	receivedAt?: string;
	size?: number;
	flags: string[];
	labels: string[];
	categories: string[];
	text: string;
	html: string;
	/** True when `text` or `html` was cut at the configured cap. */
	textTruncated: boolean;
	/** Lower-case header name -> every value, in order. */
	headers: Record<string, string[]>;
	attachments: AttachmentInfo[];
	/**
	 * Set when the source could not be parsed as MIME, or was nested deeper than MAX_MIME_DEPTH
	 * (then the item has what was read above the limit); the raw source is kept as binary.
	 */
	parseError?: string;
	/**
	 * Set when the message could not be fetched at all: a permanent failure (the provider cannot
	 * read it) or a transient one that outlived the retry budget (code `RETRIES_EXHAUSTED`...).
	 * The item then has only what the listing said (ids, locator, dates); act on it by locator.
	 */
	ingestError?: { code: string; message: string };
}
