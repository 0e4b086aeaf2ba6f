import type { IngestSource, Processed } from '../../ingest/source';
import { failedEmail } from '../../mail/failed';
import type { ChangeBatch } from '../../mail/message-ref';
import type { AttachmentSink, KeptAttachment } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import type { NormalizedEmail } from '../../mail/types';
import { emittedKeyOfEmail, rememberEmitted, type ImapCursor } from './cursor';
import type { ImapProvider } from './provider';
import { emailIdentity } from './summary';

/** One email as the trigger hands it on: the item, its stored attachments and (when kept) raw source. */
export interface PolledEmail<T> {
	email: NormalizedEmail;
	attachments: KeptAttachment<T>[];
	/** The raw .eml in the sink (asked for, or kept because parsing failed). */
	raw?: T;
}

export interface ImapSourceOptions<T> {
	since: Date;
	policy: AttachmentPolicy;
	sink: AttachmentSink<T>;
	rawSink: AttachmentSink<T>;
	keepRaw: boolean;
}

/** One IMAP mailbox as a scope of the ingest core (lib/ingest). */
export function imapSource<T>(
	provider: ImapProvider,
	mailbox: string,
	options: ImapSourceOptions<T>,
): IngestSource<ImapCursor, PolledEmail<T>> {
	return {
		scope: mailbox,
		changes: (cursor, limit) => provider.changes(mailbox, cursor, { since: options.since, limit }),
		async *build(messages, build) {
			for await (const outcome of provider.fetchEach(mailbox, messages, {
				policy: options.policy,
				sink: options.sink,
				rawSink: options.rawSink,
				keepRaw: options.keepRaw,
				recordTransientFailures: build.recordTransientFailures,
			})) {
				const fetched = outcome.fetched;
				yield {
					summary: outcome.summary,
					...(fetched
						? {
								item: {
									email: fetched.parsed.email,
									attachments: fetched.parsed.attachments,
									raw: fetched.raw,
								},
							}
						: {}),
				};
			}
		},
		cursorAfter: (before, batch, done) => imapCursorAfter(before, batch, done),
		async failedItem(summary, error) {
			const { locator } = emailIdentity(provider.session.settings, summary);
			return { email: failedEmail(summary, locator, error), attachments: [] };
		},
	};
}

/**
 * The cursor once `done` (a prefix of the batch, in UID order) has been emitted. All done: the
 * batch's own cursor. Part done: up to the last UID done, so the next run starts right after
 * it. Either way the emitted messages' keys are remembered, so a re-scan after a mailbox reset
 * does not emit them again.
 */
export function imapCursorAfter<T>(
	before: ImapCursor | undefined,
	batch: ChangeBatch<ImapCursor>,
	done: Array<Processed<PolledEmail<T>>>,
): ImapCursor | undefined {
	const keys = done.flatMap((entry) => (entry.item ? [emittedKeyOfEmail(entry.item.email)] : []));
	const all = done.length === batch.messages.length;
	const last = done[done.length - 1]?.summary.uid;
	if (!all && last === undefined) return before;
	const cursor: ImapCursor = all ? batch.cursor : { ...batch.cursor, lastUid: last as number };
	return { ...cursor, emitted: rememberEmitted(batch.cursor.emitted, keys) };
}
