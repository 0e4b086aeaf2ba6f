import type { Readable } from 'node:stream';

import { MailIntelError } from '../../errors';
import type {
	ChangeBatch,
	ChangeOptions,
	MessageRef,
	MessageSummary,
} from '../../mail/message-ref';
import type { AttachmentSink, BufferedAttachment, ParsedEmail } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import type { FlagChange, MailProvider } from '../types';
import { download, fetchMessage, moveMessage, setFlags } from './actions';
import type { ImapCursor } from './cursor';
import { fetchEach, type FetchManyOptions, type FetchOutcome, type FetchedEmail } from './fetch';
import { ImapSession, type ImapProviderOptions, type MailboxStatus } from './session';
import type { ImapSettings } from './settings';
import { imapChanges, newestMessage } from './sync';

export { fetchGroups, STREAM_THRESHOLD_BYTES } from './fetch';
export { uidSet } from './uid-set';
export type { FetchedEmail, FetchManyOptions, FetchOutcome, ImapProviderOptions };
export type { ImapSearchFilter } from './session';

/**
 * IMAP over imapflow, as a MailProvider: one session (connection + mailbox locks), and the
 * command families in files of their own: sync.ts (what is new), fetch.ts (bodies into items),
 * actions.ts (what an action node does). Every mailbox the trigger reads is opened read-only
 * (EXAMINE) and bodies are fetched with BODY.PEEK: the trigger never changes a message.
 */
export class ImapProvider implements MailProvider<ImapCursor> {
	readonly provider = 'imap' as const;
	readonly account: string;
	readonly session: ImapSession;

	constructor(settings: ImapSettings, options: ImapProviderOptions = {}) {
		this.session = new ImapSession(settings, options);
		this.account = settings.user;
	}

	/** The connected imapflow client (reconnecting when the last one was lost). */
	client() {
		return this.session.client();
	}

	status(mailbox: string): Promise<MailboxStatus> {
		return this.session.status(mailbox);
	}

	changes(
		mailbox: string,
		cursor: ImapCursor | undefined,
		options: ChangeOptions,
	): AsyncGenerator<ChangeBatch<ImapCursor>> {
		return imapChanges(this.session, mailbox, cursor, options);
	}

	newest(mailbox: string): Promise<MessageSummary | undefined> {
		return newestMessage(this.session, mailbox);
	}

	/** Each message in order, fetched and parsed, or marked gone (see fetch.ts). */
	fetchEach<T = BufferedAttachment>(
		mailbox: string,
		messages: MessageSummary[],
		options: FetchManyOptions<T>,
	): AsyncGenerator<FetchOutcome<T>> {
		return fetchEach(this.session, mailbox, messages, options);
	}

	/** The messages still there, fetched and parsed, in order. */
	async *fetchMany<T = BufferedAttachment>(
		mailbox: string,
		messages: MessageSummary[],
		options: FetchManyOptions<T>,
	): AsyncGenerator<FetchedEmail<T>> {
		for await (const outcome of fetchEach(this.session, mailbox, messages, options))
			if (outcome.fetched) yield outcome.fetched;
	}

	fetch<T = BufferedAttachment>(
		ref: MessageRef,
		policy: AttachmentPolicy,
		sink?: AttachmentSink<T>,
		options: { recordTransientFailures?: boolean } = {},
	): Promise<ParsedEmail<T>> {
		return fetchMessage(this.session, ref, policy, sink, options);
	}

	source(ref: MessageRef): Promise<Readable> {
		return download(this.session, ref);
	}

	attachment(ref: MessageRef, attachmentId: string): Promise<Readable> {
		return download(this.session, ref, attachmentId);
	}

	move(ref: MessageRef, destination: string): Promise<MessageRef> {
		return moveMessage(this.session, ref, destination);
	}

	setFlags(ref: MessageRef, change: FlagChange): Promise<void> {
		return setFlags(this.session, ref, change);
	}

	async deleteAttachment(ref: MessageRef): Promise<MessageRef> {
		throw new MailIntelError(
			`removing an attachment from IMAP message UID ${ref.uid} needs the remediation rewrite (APPEND a new message, delete the old)`,
			{ source: 'imap', code: 'NOT_SUPPORTED' },
		);
	}

	/** Logs out, or gives a pooled connection back to its pool. */
	close(): Promise<void> {
		return this.session.close();
	}
}
