import type { ImapFlow } from 'imapflow';

import { MailIntelError } from '../../errors';
import type { MessageRef } from '../../mail/message-ref';
import type { ParseWorkers } from '../../mail/parse-workers';
import { connectImap, disconnectImap, type ConnectOptions } from './connect';
import { imapError } from './errors';
import type { ImapConnectionPool, PooledConnection } from './pool';
import type { ImapSettings } from './settings';

/** Optional server-side filter: only messages whose header contains the text (IMAP SEARCH FROM/TO/SUBJECT). */
export interface ImapSearchFilter {
	from?: string;
	to?: string;
	subject?: string;
}

export interface ImapProviderOptions extends ConnectOptions {
	search?: ImapSearchFilter;
	/** Take the connection from this pool and give it back on close() (see pool.ts). */
	pool?: ImapConnectionPool;
	/** Parse bulk-fetched messages on these threads too (see lib/mail/parse-workers.ts). */
	parseWorkers?: ParseWorkers;
}

export interface MailboxStatus {
	uidValidity: string;
	uidNext: number;
	messages: number;
	highestModseq?: string;
}

/**
 * One logged-in IMAP connection and its mailbox locks: what sync, fetch and actions share.
 * Opened on first use (or taken from a pool and given back by close()); reconnects when the last
 * connection was lost (kick, server restart).
 */
export class ImapSession {
	readonly account: string;
	private connection?: Promise<ImapFlow>;
	private lease?: PooledConnection;

	constructor(
		readonly settings: ImapSettings,
		readonly options: ImapProviderOptions = {},
	) {
		this.account = settings.user;
	}

	/**
	 * The logged-in connection. `mailbox`: the mailbox the caller opens read-only next; a pooled
	 * connection still on it is preferred and stays on it when given back (pool.ts AcquireOptions).
	 */
	async client(mailbox?: string): Promise<ImapFlow> {
		if (this.connection) {
			const existing = await this.connection.catch(() => undefined);
			if (existing?.usable) return existing;
			existing?.close();
		}
		const connect = () => connectImap(this.settings, this.options);
		const pool = this.options.pool;
		this.lease = undefined;
		this.connection = pool
			? pool.acquire(this.settings, connect, { mailbox }).then((lease) => {
					this.lease = lease;
					return lease.client;
				})
			: connect();
		return this.connection;
	}

	/** STATUS of a mailbox without selecting it: the whole cost of an empty poll. */
	async status(mailbox: string): Promise<MailboxStatus> {
		const client = await this.client();
		const reused = this.lease?.client === client && this.lease.reused;
		try {
			const status = await client.status(mailbox, {
				uidNext: true,
				uidValidity: true,
				highestModseq: true,
				messages: true,
			});
			if (!status)
				throw new MailIntelError(`STATUS failed for mailbox "${mailbox}"`, {
					source: 'imap',
					code: 'MAILBOX_NOT_FOUND',
					field: 'mailboxes',
				});
			return {
				uidValidity: String(status.uidValidity ?? ''),
				uidNext: status.uidNext ?? 1,
				messages: status.messages ?? 0,
				...(status.highestModseq === undefined
					? {}
					: { highestModseq: status.highestModseq.toString() }),
			};
		} catch (error) {
			// A pooled connection the server dropped while it sat idle (restart, kick) may not have
			// noticed yet: its first command fails on a dead socket. One fresh connection, once.
			const failure = imapError(error, this.settings, mailbox);
			if (reused && failure.code === 'CONNECTION_LOST') {
				client.close();
				this.connection = undefined;
				return this.status(mailbox);
			}
			throw failure;
		}
	}

	async lock(client: ImapFlow, mailbox: string, readOnly = true) {
		try {
			return await client.getMailboxLock(mailbox, { readOnly, description: 'email-intel' });
		} catch (error) {
			throw imapError(error, this.settings, mailbox);
		}
	}

	/** Opens the ref's mailbox and refuses to act when its UIDVALIDITY is not the ref's any more. */
	async lockRef(client: ImapFlow, ref: MessageRef, readOnly = true) {
		const lock = await this.lock(client, ref.mailbox, readOnly);
		const current = client.mailbox ? String(client.mailbox.uidValidity) : undefined;
		if (ref.uid === undefined || (ref.uidValidity !== undefined && current !== ref.uidValidity)) {
			lock.release();
			throw new MailIntelError(
				`the locator for "${ref.mailbox}" is stale (UIDVALIDITY ${ref.uidValidity}, now ${current})`,
				{
					source: 'imap',
					code: 'STALE_LOCATOR',
					hint: 'The mailbox was rebuilt since the trigger saw this message; take the locator from a newer item.',
				},
			);
		}
		return lock;
	}

	/** Logs out, or gives a pooled connection back to its pool. */
	async close(): Promise<void> {
		const connection = this.connection;
		const lease = this.lease;
		this.connection = undefined;
		this.lease = undefined;
		const client = await connection?.catch(() => undefined);
		if (!client) return;
		if (lease?.client === client && this.options.pool) await this.options.pool.release(lease);
		else await disconnectImap(client);
	}
}

export function notFound(ref: MessageRef, what = 'message'): MailIntelError {
	return new MailIntelError(
		`${what} UID ${ref.uid} not found in "${ref.mailbox}" (deleted or moved)`,
		{ source: 'imap', code: 'NOT_FOUND', status: 404 },
	);
}
