import type { MessageSummary } from '../../../mail/message-ref';
import type { KeptAttachment, ParsedEmail } from '../../../mail/parse';

/**
 * Where the events trigger left one mailbox. Stored in the node's static data (n8n saves it with
 * each emit) and in process memory (memory.ts), always before the events it covers are handed on.
 */
export interface EventCursor {
	/** UIDs are only comparable within one UIDVALIDITY (RFC 3501 §2.3.1.1). */
	uidValidity: string;
	/** Highest UID whose messageNew was handed on (or that existed when watching began). */
	lastUid: number;
	/**
	 * HIGHESTMODSEQ (RFC 7162) read before the last change pass: every flag change and expunge
	 * at or below it was handed on. The next pass asks for what changed since.
	 */
	highestModseq?: string;
}

/** Flags per UID of the messages at or below `lastUid`, as last handed on: what a change is diffed against. */
export type FlagsByUid = Map<number, string[]>;

/** What one watched mailbox knows between connections (kept in memory.ts across reconnects). */
export interface WatchMemory {
	cursor?: EventCursor;
	/**
	 * Absent after a process restart (only the cursor is in static data): then a flag change
	 * found by the catch-up carries the new flags without what was added or removed.
	 */
	flags?: FlagsByUid;
	/** The connection is down and that was reported (once per outage, across reactivations). */
	outage?: boolean;
}

export interface NewMessageEvent<T> {
	type: 'messageNew';
	summary: MessageSummary;
	email: ParsedEmail<T>['email'];
	attachments: KeptAttachment<T>[];
	raw?: T;
}

export interface UpdatedMessageEvent {
	type: 'messageUpdated';
	summary: MessageSummary;
	/** The message's flags now. */
	flags: string[];
	/** Undefined when the flags before are unknown (first catch-up after a process restart). */
	added?: string[];
	removed?: string[];
	modseq?: string;
}

export interface DeletedMessageEvent {
	type: 'messageDeleted';
	summary: MessageSummary;
}

export type MailboxEvent<T> = NewMessageEvent<T> | UpdatedMessageEvent | DeletedMessageEvent;
