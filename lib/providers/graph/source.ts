import type { IngestSource, Processed } from '../../ingest/source';
import { failedEmail } from '../../mail/failed';
import { formatLocator } from '../../mail/locator';
import type { ChangeBatch } from '../../mail/message-ref';
import type { AttachmentSink, ParsedEmail } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import { EmittedSet, type GraphCursor } from './cursor';
import type { GraphProvider } from './provider';
import { scopeKey, type MailboxScope } from './state';

export interface GraphSourceOptions<T> {
	since: Date;
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** rsync-style rules over `folder/filename` (lib/mail/filename-filter.ts). */
	filenameFilter?: (path: string) => boolean;
}

/**
 * One mailbox folder as a scope of the ingest core (lib/ingest). Each delta page is a batch; the
 * messages of a page download at once (the client keeps four requests per mailbox in flight)
 * while the core asks for the next page.
 */
export function graphSource<T>(
	provider: GraphProvider,
	scope: MailboxScope,
	options: GraphSourceOptions<T>,
): IngestSource<GraphCursor, ParsedEmail<T>> {
	const filter = options.filenameFilter;
	const policy: AttachmentPolicy = filter
		? { ...options.policy, filenameFilter: (name) => filter(`${scope.folder}/${name}`) }
		: options.policy;
	return {
		scope: scopeKey(scope),
		changes: (cursor, limit) =>
			provider.changes(scope.folder, cursor, { since: options.since, limit }),
		async *build(messages, build) {
			const downloads = messages.map((summary) =>
				provider.fetch(summary, policy, options.sink, {
					recordTransientFailures: build.recordTransientFailures(summary.id),
				}),
			);
			for (const download of downloads) download.catch(() => undefined); // awaited below, in order
			for (let i = 0; i < messages.length; i++)
				yield { summary: messages[i], item: await downloads[i] };
		},
		cursorAfter: (before, batch, done) => graphCursorAfter(before, batch, done),
		async failedItem(summary, error) {
			const locator = formatLocator(summary);
			return { email: failedEmail(summary, locator, error), attachments: [] };
		},
	};
}

/**
 * All of a page done: the page's cursor (its link and every message of it remembered). Part
 * done: the link the page started from, with the messages done added to what the cursor
 * remembers as emitted, so the page is read again and only the rest comes out.
 */
export function graphCursorAfter<T>(
	before: GraphCursor | undefined,
	batch: ChangeBatch<GraphCursor>,
	done: Array<Processed<T>>,
): GraphCursor | undefined {
	if (done.length === batch.messages.length) return batch.cursor;
	if (done.length === 0) return before;
	const emitted = new EmittedSet(before);
	for (const { summary } of done) emitted.add(summary.id, summary.receivedAt);
	return emitted.toCursor(before?.link, batch.cursor.seq);
}
