import { MailIntelError } from '../../errors';
import { EmittedSet } from '../../ingest/emitted';
import type { IngestSource, Processed } from '../../ingest/source';
import { failedEmail } from '../../mail/failed';
import { createSemaphore } from '../../util/limit';
import { formatLocator } from '../../mail/locator';
import type { ChangeBatch, MessageSummary } from '../../mail/message-ref';
import type { AttachmentSink, KeptAttachment } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import type { NormalizedEmail } from '../../mail/types';
import { GMAIL_RECENT_CAP, historyIdBefore, laterHistoryId, type GmailCursor } from './cursor';
import type { SeenMessage } from './history';
import { labelMailbox, type GmailProvider } from './provider';

/** One email as the trigger hands it on: the item, its stored attachments and (when kept) raw source. */
export interface GmailItem<T> {
	email: NormalizedEmail;
	attachments: KeptAttachment<T>[];
	raw?: T;
}

export interface GmailSourceOptions<T> {
	since: Date;
	/** Watched label ids; empty: all mail but drafts. */
	labels: string[];
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	rawSink?: AttachmentSink<T>;
	keepRaw?: boolean;
	/** Downloads in flight at once (the mailbox's throttle bounds the requests as well). */
	concurrency?: number;
}

/** Default downloads in flight per poll: the client's mailbox limit. */
export const DEFAULT_FETCH_CONCURRENCY = 10;

/**
 * Messages held past their download, waiting for a parse thread or for their turn to be
 * yielded, per download slot. With none, a slot stayed taken until its message was parsed, and
 * downloads and parsing took turns (a 5,000-message sync left both threads idle a third of the
 * time). One per slot keeps the downloads going while parses finish: at most twice
 * `concurrency` messages in memory, each at most IN_MEMORY_BYTES (larger ones stream and hold
 * their download slot until parsed).
 */
const PARSED_AHEAD_PER_SLOT = 1;

/**
 * A Gmail mailbox (its watched labels) as one scope of the ingest core (lib/ingest). The
 * messages of a batch download `concurrency` at a time and are yielded in order; a message
 * deleted since it was listed (404) is passed over.
 */
export function gmailSource<T>(
	provider: GmailProvider,
	options: GmailSourceOptions<T>,
): IngestSource<GmailCursor, GmailItem<T>> {
	const concurrency = Math.max(1, options.concurrency ?? DEFAULT_FETCH_CONCURRENCY);
	const ahead = concurrency * (1 + PARSED_AHEAD_PER_SLOT);
	const downloads = createSemaphore(concurrency);
	return {
		scope: provider.account,
		changes: (cursor, limit) =>
			provider.changes(labelMailbox(options.labels), cursor, { since: options.since, limit }),
		async *build(messages, build) {
			const fetchOne = async (summary: MessageSummary): Promise<Processed<GmailItem<T>>> => {
				// A download slot until the source is in memory (or, streamed, until it is parsed).
				const release = await downloads.acquire(); // idempotent
				try {
					const fetched = await provider.fetchMessage(summary, {
						onDownloaded: release,
						policy: options.policy,
						...(options.sink ? { sink: options.sink } : {}),
						...(options.rawSink ? { rawSink: options.rawSink } : {}),
						keepRaw: options.keepRaw ?? false,
						recordTransientFailures: build.recordTransientFailures(summary.id),
					});
					const item: GmailItem<T> = { ...fetched.parsed, raw: fetched.raw };
					if (!fetched.raw) delete item.raw;
					return { summary, item };
				} catch (error) {
					if (error instanceof MailIntelError && error.status === 404) return { summary };
					throw error;
				} finally {
					release();
				}
			};
			// A window of messages ahead of the one yielded next (downloading, or downloaded and
			// parsing): bounded memory, full pipeline.
			const window: Array<Promise<Processed<GmailItem<T>>>> = [];
			let next = 0;
			const refill = () => {
				while (next < messages.length && window.length < ahead) {
					const download = fetchOne(messages[next++]);
					download.catch(() => undefined); // awaited below, in order
					window.push(download);
				}
			};
			refill();
			while (window.length > 0) {
				const processed = await (window.shift() as Promise<Processed<GmailItem<T>>>);
				refill();
				yield processed;
			}
		},
		cursorAfter: (before, batch, done) => gmailCursorAfter(before, batch, done, provider.seen),
		async failedItem(summary, error) {
			return {
				email: failedEmail(summary, formatLocator(summary), error),
				attachments: [],
			};
		},
	};
}

/**
 * All of a batch done: its own cursor. Part done: the messages done are remembered as emitted,
 * and the cursor stays where the first message not done can be read again: a history batch
 * resumes just before that message's record, a full sync lists the window again (`syncing`).
 */
export function gmailCursorAfter<T>(
	before: GmailCursor | undefined,
	batch: ChangeBatch<GmailCursor>,
	done: Array<Processed<T>>,
	seen: Map<string, SeenMessage>,
): GmailCursor | undefined {
	if (done.length === batch.messages.length) return batch.cursor;
	if (done.length === 0) return before;
	const emitted = new EmittedSet(before, GMAIL_RECENT_CAP);
	for (const { summary } of done) emitted.add(summary.id, undefined);
	const record = seen.get(batch.messages[done.length].id)?.record;
	if (record === undefined)
		return { historyId: batch.cursor.historyId, syncing: true, ...emitted.toMemory() };
	return {
		historyId: laterHistoryId(before?.historyId, historyIdBefore(record)),
		...emitted.toMemory(),
	};
}
