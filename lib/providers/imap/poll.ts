import type { AttachmentSink, KeptAttachment } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import type { NormalizedEmail } from '../../mail/types';
import { MailIntelError, errorMessage, isMailIntelError } from '../../errors';
import { emittedKeyOfEmail, rememberEmitted, type ImapCursor } from './cursor';
import type { ImapProvider } from './provider';

/**
 * The IMAP trigger's static data. One cursor per configured mailbox; mailboxes removed from
 * the node's parameters are dropped at the next successful poll, so the state stays bounded
 * (each cursor's own memory is capped by EMITTED_KEYS_CAP).
 */
export interface ImapTriggerState {
	/** Bumped if the shape ever changes, so an old workflow's state is migrated, not misread. */
	version: 1;
	mailboxes: Record<string, ImapCursor>;
}

export interface ImapPollOptions<T> {
	mailboxes: string[];
	/** First run / reset mailbox: only messages received at or after this instant. */
	since: Date;
	/** Across all mailboxes; the rest follows at the next poll. */
	maxItems: number;
	policy: AttachmentPolicy;
	sink: AttachmentSink<T>;
	rawSink: AttachmentSink<T>;
	keepRaw: boolean;
}

export interface PolledEmail<T> {
	email: NormalizedEmail;
	attachments: KeptAttachment<T>[];
	/** The raw .eml in the sink (asked for, or kept because parsing failed). */
	raw?: T;
}

export interface ImapPollResult<T> {
	emails: PolledEmail<T>[];
	/** The state to store before the emails are handed on. */
	state: ImapTriggerState;
	/** Mailboxes that failed this poll; their cursors are unchanged, so the next poll retries them. */
	errors: Array<{ mailbox: string; error: MailIntelError }>;
}

/**
 * One poll over every configured mailbox. A mailbox's cursor advances only when all of its
 * messages in this poll were fetched and parsed; a failure (kicked session, server restart)
 * drops that mailbox's partial work and keeps its old cursor: nothing lost, nothing repeated.
 */
export async function pollImap<T>(
	provider: ImapProvider,
	previous: ImapTriggerState | undefined,
	options: ImapPollOptions<T>,
): Promise<ImapPollResult<T>> {
	const state: ImapTriggerState = { version: 1, mailboxes: {} };
	const emails: PolledEmail<T>[] = [];
	const errors: ImapPollResult<T>['errors'] = [];
	for (const mailbox of options.mailboxes) {
		const before = previous?.mailboxes[mailbox];
		if (before) state.mailboxes[mailbox] = before;
		const remaining = options.maxItems - emails.length;
		if (remaining <= 0) continue;
		try {
			const found: PolledEmail<T>[] = [];
			let cursor = before;
			for await (const batch of provider.changes(mailbox, before, {
				since: options.since,
				limit: remaining,
			})) {
				const keys: string[] = [];
				for await (const fetched of provider.fetchMany(mailbox, batch.messages, options)) {
					found.push({
						email: fetched.parsed.email,
						attachments: fetched.parsed.attachments,
						raw: fetched.raw,
					});
					keys.push(emittedKeyOfEmail(fetched.parsed.email));
				}
				// Remember what leaves, so a re-scan after a mailbox reset does not emit it again.
				cursor = { ...batch.cursor, emitted: rememberEmitted(batch.cursor.emitted, keys) };
			}
			if (cursor) state.mailboxes[mailbox] = cursor;
			emails.push(...found);
		} catch (error) {
			// The provider already throws MailIntelError; anything else is a bug worth its own message.
			errors.push({
				mailbox,
				error: isMailIntelError(error)
					? error
					: new MailIntelError(errorMessage(error), { source: 'imap', cause: error }),
			});
		}
	}
	return { emails, state, errors };
}
