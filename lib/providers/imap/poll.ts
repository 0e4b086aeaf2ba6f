import { ingestAll } from '../../ingest/core';
import { currentState, identityOf, newState, type IngestState } from '../../ingest/state';
import type { MailIntelError } from '../../errors';
import type { ImapCursor } from './cursor';
import type { ImapProvider } from './provider';
import type { ImapSettings } from './settings';
import { imapSource, type ImapSourceOptions, type PolledEmail } from './source';

export type { PolledEmail } from './source';

/**
 * The IMAP trigger's static data: the ingest core's state (lib/ingest/state.ts), one cursor per
 * configured mailbox (each capped by EMITTED_KEYS_CAP), mailboxes no longer configured dropped.
 */
export type ImapTriggerState = IngestState<ImapCursor>;

/** The account the cursors belong to: the server and the user (not the port: 143 and 993 are one mailbox). */
export function imapIdentity(settings: Pick<ImapSettings, 'host' | 'user'>): string {
	return identityOf('imap', settings.host, settings.user);
}

/**
 * Reads what static data holds: today's shape, or version 1 (`{version: 1, mailboxes}`, before
 * the ingest core), whose cursors are kept as they are (they were this account's).
 */
export function readImapState(stored: unknown, identity: string): ImapTriggerState | undefined {
	const data = stored as
		| { version?: number; mailboxes?: Record<string, ImapCursor> }
		| ImapTriggerState
		| undefined;
	if (!data || typeof data !== 'object') return undefined;
	if (data.version === 1 && 'mailboxes' in data && data.mailboxes) {
		const state = newState<ImapCursor>(identity);
		for (const [mailbox, cursor] of Object.entries(data.mailboxes))
			state.scopes[mailbox] = { cursor };
		return state;
	}
	return 'scopes' in data && data.version === 2 ? (data as ImapTriggerState) : undefined;
}

export interface ImapPollOptions<T> extends ImapSourceOptions<T> {
	mailboxes: string[];
	/** Across all mailboxes; the rest follows at the next poll. */
	maxItems: number;
	/** Process memory of this trigger (failure counts): its owner key (lib/state/registry.ts). */
	owner?: string;
	/** Polls in a row a message may fail before it is emitted with its failure recorded. */
	retryBudget?: number;
}

export interface ImapPollResult<T> {
	emails: PolledEmail<T>[];
	/** The state to store with the emails. */
	state: ImapTriggerState;
	/** Mailboxes that failed this poll; their cursors stop before the failed message, so the next poll retries it. */
	errors: Array<{ mailbox: string; error: MailIntelError }>;
}

/**
 * One poll over every configured mailbox through the ingest core, all items in one result (the
 * trigger node emits them in batches instead, see nodes/shared/ingest-poll.ts).
 */
export async function pollImap<T>(
	provider: ImapProvider,
	previous: ImapTriggerState | undefined,
	options: ImapPollOptions<T>,
): Promise<ImapPollResult<T>> {
	const state = currentState(previous, imapIdentity(provider.session.settings), options.mailboxes);
	const result = await ingestAll(
		state,
		options.mailboxes.map((mailbox) => imapSource(provider, mailbox, options)),
		{
			memoryKey: `${options.owner ?? 'direct'}:${state.epoch}`,
			limit: options.maxItems,
			retryBudget: options.retryBudget,
		},
	);
	return {
		emails: result.items,
		state,
		errors: result.failures.map(({ scope, error }) => ({ mailbox: scope, error })),
	};
}
