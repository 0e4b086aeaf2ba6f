import type { Readable } from 'node:stream';

import type { AttachmentPolicy } from '../mail/policy';
import type { AttachmentSink, ParsedEmail } from '../mail/parse';
import type { ProviderName } from '../mail/types';

/**
 * One interface for IMAP, Microsoft Graph and Gmail. Triggers drive `changes()` and
 * `fetch()`; action nodes use the rest on a `MessageRef` rebuilt from an item's `locator`.
 * Every implementation throws `MailIntelError` (lib/errors.ts), never a library's own error.
 */

/** Enough to address one message again later (parsed from/printed to `locator`). */
export interface MessageRef {
	provider: ProviderName;
	account: string;
	mailbox: string;
	/** Provider-stable id (IMAP: `${uidValidity}:${uid}`; Graph: immutable id; Gmail: id). */
	id: string;
	uid?: number;
	uidValidity?: string;
}

/** A new message seen by `changes()`, with whatever metadata came for free with it. */
export interface MessageSummary extends MessageRef {
	messageId?: string;
	/** ISO-8601 UTC; used for the start-date window and for dedupe after a resync. */
	date?: string;
	receivedAt?: string;
	size?: number;
	flags?: string[];
}

/**
 * A page of changes plus the cursor to store once every message in it has been emitted.
 * The trigger writes `cursor` to static data *before* returning the items (DESIGN.md §3);
 * a cursor never points past a message that was not emitted.
 */
export interface ChangeBatch<Cursor> {
	messages: MessageSummary[];
	cursor: Cursor;
	/** More changes are waiting beyond this batch (the poll limit or a page boundary). */
	more: boolean;
	/** The provider had to restart from the start date (UIDVALIDITY change, expired delta). */
	resynced?: boolean;
}

export interface ChangeOptions {
	/** Only messages received at or after this instant (the relative import start date). */
	since: Date;
	/** At most this many messages in one batch. */
	limit: number;
	signal?: AbortSignal;
}

export interface FlagChange {
	add?: string[];
	remove?: string[];
}

export interface MailProvider<Cursor = unknown> {
	readonly provider: ProviderName;
	readonly account: string;

	/** New messages in `mailbox` since `cursor` (undefined = first run), oldest first. */
	changes(
		mailbox: string,
		cursor: Cursor | undefined,
		options: ChangeOptions,
	): AsyncIterable<ChangeBatch<Cursor>>;

	/** Downloads and parses one message; kept attachments go to `sink` as streams. */
	fetch<T>(
		ref: MessageRef,
		policy: AttachmentPolicy,
		sink?: AttachmentSink<T>,
	): Promise<ParsedEmail<T>>;

	/** The raw RFC 822 source (IMAP/Gmail) or MIME export (Graph `$value`). */
	source(ref: MessageRef): Promise<Readable>;

	/** The decoded bytes of one attachment. */
	attachment(ref: MessageRef, attachmentId: string): Promise<Readable>;

	/** Moves the message; returns the ref at its new place (ids may change). */
	move(ref: MessageRef, destination: string): Promise<MessageRef>;

	/** IMAP flags/keywords, Graph categories, Gmail labels. */
	setFlags(ref: MessageRef, change: FlagChange): Promise<void>;

	/** Removes one attachment; providers that cannot edit mail rewrite it (see remediation). */
	deleteAttachment(ref: MessageRef, attachmentId: string): Promise<MessageRef>;

	/** Releases connections. Safe to call twice. */
	close(): Promise<void>;
}
