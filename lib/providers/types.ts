import type { Readable } from 'node:stream';

import type { AttachmentPolicy } from '../mail/policy';
import type { AttachmentSink, ParsedEmail } from '../mail/parse';
import type { ProviderName } from '../mail/types';
import type { ChangeBatch, ChangeOptions, MessageRef } from '../mail/message-ref';

/**
 * One interface for IMAP, Microsoft Graph and Gmail. Triggers drive `changes()` and
 * `fetch()`; action nodes use the rest on a `MessageRef` rebuilt from an item's `locator`.
 * Every implementation throws `MailIntelError` (lib/errors.ts), never a library's own error.
 */

export type { MessageRef, MessageSummary, ChangeBatch, ChangeOptions } from '../mail/message-ref';

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
		/** `recordTransientFailures`: the message's retry budget is spent (lib/ingest/core.ts). */
		options?: { recordTransientFailures?: boolean },
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
