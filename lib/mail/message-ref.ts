import type { ProviderName } from './types';

/**
 * How a message is addressed and listed, whichever provider holds it. Lives in lib/mail so the
 * mail model (locators, items) never needs lib/providers; providers and the ingest core use it.
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
 * The trigger writes `cursor` to static data *before* returning the items (README "Exactly once");
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
