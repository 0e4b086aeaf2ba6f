import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';

import type { ImapFlow } from 'imapflow';

import { disconnectImap } from './connect';
import type { ImapSettings } from './settings';

/**
 * Logged-in IMAP connections kept between polls, per account. A poll that finds nothing new
 * then costs one STATUS instead of connect + TLS + login + ID + NAMESPACE + STATUS + LOGOUT,
 * which is what the server sees from a trigger polling every minute (IMAP API and desktop
 * clients keep their connections open for the same reason).
 *
 * A connection is pooled with no mailbox selected (a read-only EXAMINE is CLOSEd, which never
 * expunges; a read-write one is logged out instead, because CLOSE would expunge messages
 * flagged \Deleted) — except when its lease named the mailbox it works on (`AcquireOptions`):
 * then it stays on that mailbox, read-only, and the next lease that names the same mailbox gets
 * it as it is. On Dovecot's Maildir every EXAMINE reads the mailbox's whole `dovecot-uidlist`
 * (100–300 ms for 100,000 messages here, 1–2 ms for 1,000), so a listing that reuses the selection
 * costs the same in any mailbox size; the listing NOOPs first, which brings the selection up
 * to date (new mail, expunges). A lease that names no mailbox (the triggers) always gets a
 * connection with none selected, as before. While idle its socket does not keep the process
 * alive, a NOOP every few minutes keeps it (and any NAT on the way) from timing out, and after
 * `idleMs` without use it is logged out.
 */
export interface PoolOptions {
	/** Log out a connection nobody used for this long. */
	idleMs?: number;
	/** NOOP interval while idle: below imapflow's 5-minute socket timeout and common NAT timeouts. */
	keepAliveMs?: number;
	/** Idle connections kept per account (concurrent polls may have opened more). */
	maxIdlePerAccount?: number;
}

export interface AcquireOptions {
	/**
	 * The mailbox this lease opens read-only first. An idle connection still on it is preferred
	 * (no EXAMINE needed); while the account has fewer than `maxIdlePerAccount` idle connections
	 * and none is on it or unselected, a new one is opened rather than moving another off its
	 * mailbox. The connection then stays on its read-only mailbox when given back. The caller must
	 * NOOP before relying on the mailbox's counts (IMAP reports changes when a command ends).
	 */
	mailbox?: string;
}

export interface PooledConnection {
	client: ImapFlow;
	/** True when the connection was logged in before this lease (it may have died meanwhile). */
	reused: boolean;
	readonly key: string;
	/** Leased with `AcquireOptions.mailbox`: pooled again on its read-only mailbox, not CLOSEd. */
	readonly keepSelected?: boolean;
}

interface IdleConnection {
	client: ImapFlow;
	timers: NodeJS.Timeout[];
	onClose?: () => void;
}

export const DEFAULT_IDLE_MS = 10 * 60_000;
export const DEFAULT_KEEPALIVE_MS = 4 * 60_000;

export class ImapConnectionPool {
	private readonly idle = new Map<string, IdleConnection[]>();
	private readonly idleMs: number;
	private readonly keepAliveMs: number;
	private readonly maxIdle: number;

	constructor(options: PoolOptions = {}) {
		this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
		this.keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
		this.maxIdle = options.maxIdlePerAccount ?? 2;
	}

	/** An idle logged-in connection for these settings, or a new one from `connect`. */
	async acquire(
		settings: ImapSettings,
		connect: () => Promise<ImapFlow>,
		options: AcquireOptions = {},
	): Promise<PooledConnection> {
		const key = poolKey(settings);
		const wanted = options.mailbox;
		const keepSelected = wanted !== undefined;
		for (let entry = this.pick(key, wanted); entry; entry = this.pick(key, wanted)) {
			this.forget(key, entry);
			const { client } = entry;
			// Leased from here on: the CLOSE below is awaited, so its socket must keep the process alive.
			setRef(client, true);
			const unwanted = () => client.mailbox !== false && !(wanted && isOn(client, wanted));
			// Only the mailbox the lease named may stay selected (a read-only CLOSE never expunges).
			if (client.usable && unwanted()) await client.mailboxClose().catch(() => client.close());
			if (client.usable && !unwanted()) return { client, reused: true, key, keepSelected };
			client.close();
		}
		return { client: await connect(), reused: false, key, keepSelected };
	}

	/**
	 * Which idle connection a lease gets: one on the wanted mailbox, else one with none selected,
	 * else (with a wanted mailbox, while there is room for one more idle connection) none, so a
	 * new one is opened and the others stay on their mailboxes, else the one idle the longest.
	 */
	private pick(key: string, wanted: string | undefined): IdleConnection | undefined {
		const entries = this.idle.get(key);
		if (!entries?.length) return undefined;
		const newestFirst = [...entries].reverse();
		const selected = wanted
			? newestFirst.find((entry) => isOn(entry.client, wanted))
			: newestFirst.find((entry) => !entry.client.mailbox);
		if (selected) return selected;
		if (wanted) {
			const unselected = newestFirst.find((entry) => !entry.client.mailbox);
			if (unselected) return unselected;
			if (entries.length < this.maxIdle) return undefined;
			return entries[0];
		}
		return newestFirst[0];
	}

	/**
	 * Takes a connection back. One that is broken, busy in a read-write mailbox or beyond the
	 * idle cap is logged out instead; nothing here throws.
	 */
	async release(lease: PooledConnection): Promise<void> {
		const { client } = lease;
		const keep = (mailbox: ImapFlow['mailbox']) =>
			lease.keepSelected === true && mailbox !== false && mailbox.readOnly === true;
		try {
			if (client.usable && client.mailbox && !keep(client.mailbox)) {
				if (client.mailbox.readOnly) await client.mailboxClose();
				else return await disconnectImap(client);
			}
		} catch {
			// Falls through to the usable check: a failed CLOSE leaves the connection unusable or selected.
		}
		const entries = this.idle.get(lease.key) ?? [];
		if (
			!client.usable ||
			(client.mailbox && !keep(client.mailbox)) ||
			entries.length >= this.maxIdle
		) {
			await disconnectImap(client);
			return;
		}
		const entry: IdleConnection = { client, timers: [] };
		const expire = setTimeout(() => {
			this.forget(lease.key, entry);
			void disconnectImap(client);
		}, this.idleMs);
		const keepAlive = setInterval(() => {
			client.noop().catch(() => {
				this.forget(lease.key, entry);
				client.close();
			});
		}, this.keepAliveMs);
		expire.unref();
		keepAlive.unref();
		entry.timers.push(expire, keepAlive);
		// The server may drop it while idle (restart, autologout): forget it at once.
		entry.onClose = () => this.forget(lease.key, entry);
		client.once('close', entry.onClose);
		setRef(client, false);
		entries.push(entry);
		this.idle.set(lease.key, entries);
	}

	/** Logs out every idle connection (tests; a process that wants a clean exit). */
	async closeAll(): Promise<void> {
		const all = [...this.idle.entries()].flatMap(([key, entries]) =>
			entries.map((entry) => ({ key, entry })),
		);
		for (const { key, entry } of all) {
			this.forget(key, entry);
			// The caller awaits the LOGOUT: its socket must keep the process alive until it is answered.
			setRef(entry.client, true);
		}
		await Promise.all(all.map(({ entry }) => disconnectImap(entry.client)));
	}

	/** Idle connections over all accounts (for tests and the benchmark). */
	idleCount(): number {
		let count = 0;
		for (const entries of this.idle.values()) count += entries.length;
		return count;
	}

	private forget(key: string, entry: IdleConnection): void {
		for (const timer of entry.timers) clearTimeout(timer);
		entry.timers.length = 0;
		if (entry.onClose) entry.client.off('close', entry.onClose);
		entry.onClose = undefined;
		const entries = this.idle.get(key);
		const index = entries?.indexOf(entry) ?? -1;
		if (entries && index >= 0) entries.splice(index, 1);
		if (entries?.length === 0) this.idle.delete(key);
	}
}

/**
 * Everything that makes a login distinct, hashed: two triggers share connections only when
 * they would log in identically, and no secret is kept as a map key in the clear.
 */
export function poolKey(settings: ImapSettings): string {
	return createHash('sha256')
		.update(
			JSON.stringify([
				settings.host,
				settings.port,
				settings.security,
				// A connection verified one way is never lent to settings that trust differently.
				settings.skipTlsVerification === true,
				settings.caCertificate ?? null,
				settings.user,
				settings.auth,
			]),
		)
		.digest('hex');
}

/**
 * Whether the connection has this mailbox selected. imapflow keeps the path as the server
 * names it; INBOX is case-insensitive (RFC 3501 §5.1), every other name is compared exactly.
 */
function isOn(client: ImapFlow, mailbox: string): boolean {
	const path = client.mailbox ? client.mailbox.path : undefined;
	if (path === undefined) return false;
	return path === mailbox || (path.toUpperCase() === 'INBOX' && mailbox.toUpperCase() === 'INBOX');
}

/**
 * An idle socket must not keep n8n (or a test run) from exiting; a leased one must. imapflow
 * keeps the socket in an untyped field (one socket: compression is off, see connect.ts).
 */
function setRef(client: ImapFlow, ref: boolean): void {
	const socket = (client as unknown as { socket?: Socket | false }).socket;
	if (!socket) return;
	if (ref) socket.ref();
	else socket.unref();
}

let shared: ImapConnectionPool | undefined;

/** The process-wide pool the trigger node uses. */
export function sharedImapPool(): ImapConnectionPool {
	return (shared ??= new ImapConnectionPool());
}
