import type { MailIntelError } from '../errors';
import type { ChangeBatch, MessageSummary } from '../mail/message-ref';

/** One message the source went through: its item, or nothing when it vanished meanwhile. */
export interface Processed<Item> {
	summary: MessageSummary;
	/** Undefined: the message was deleted or moved away between listing and fetching. */
	item?: Item;
}

export interface BuildOptions {
	/**
	 * True for a message whose retry budget is spent: a transient failure of one of its parts
	 * is recorded on the item (`skipped: "error"`) instead of failing the build.
	 */
	recordTransientFailures(id: string): boolean;
}

/**
 * What a provider plugs into the ingest core for one scope (a mailbox, a folder, a label).
 * The core owns ordering, batching, commits and failures; the source only lists and builds.
 */
export interface IngestSource<Cursor, Item> {
	/** The scope's key in state, and its name in errors and logs. */
	readonly scope: string;

	/** Changes since `cursor` (undefined = first run), oldest first, at most `limit` messages in all. */
	changes(cursor: Cursor | undefined, limit: number): AsyncIterable<ChangeBatch<Cursor>>;

	/**
	 * Builds items (bodies and attachments stored) for `messages`, yielded in their order. Throws
	 * at the first message it cannot build: the core knows which one (the first not yielded).
	 */
	build(messages: MessageSummary[], options: BuildOptions): AsyncIterable<Processed<Item>>;

	/**
	 * The cursor to store once `done` (a prefix of `batch.messages`, in order) has been emitted;
	 * `before` is the cursor the batch started from. With every message done it is `batch.cursor`
	 * plus whatever the source remembers of emitted mail.
	 */
	cursorAfter(
		before: Cursor | undefined,
		batch: ChangeBatch<Cursor>,
		done: Processed<Item>[],
	): Cursor | undefined;

	/**
	 * The item for a message that cannot be built at all: a permanent failure, or a transient
	 * one that outlived its retry budget. It carries the failure, so nothing is silently skipped.
	 */
	failedItem(summary: MessageSummary, error: MailIntelError): Promise<Item>;
}
