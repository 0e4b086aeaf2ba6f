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
 * A connection is only pooled with no mailbox selected (a read-only EXAMINE is CLOSEd,
 * which never expunges; a read-write one is logged out instead, because CLOSE would expunge
 * messages flagged \Deleted). While idle its socket does not keep the process alive, a NOOP
 * every few minutes keeps it (and any NAT on the way) from timing out, and after
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

export interface PooledConnection {
	client: ImapFlow;
	/** True when the connection was logged in before this lease (it may have died meanwhile). */
	reused: boolean;
	readonly key: string;
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
	): Promise<PooledConnection> {
		const key = poolKey(settings);
		const entries = this.idle.get(key);
		while (entries?.length) {
			const entry = entries.pop()!;
			this.forget(key, entry);
			if (entry.client.usable) {
				setRef(entry.client, true);
				return { client: entry.client, reused: true, key };
			}
			entry.client.close();
		}
		return { client: await connect(), reused: false, key };
	}

	/**
	 * Takes a connection back. One that is broken, busy in a read-write mailbox or beyond the
	 * idle cap is logged out instead; nothing here throws.
	 */
	async release(lease: PooledConnection): Promise<void> {
		const { client } = lease;
		try {
			if (client.usable && client.mailbox) {
				if (client.mailbox.readOnly) await client.mailboxClose();
				else return await disconnectImap(client);
			}
		} catch {
			// Falls through to the usable check: a failed CLOSE leaves the connection unusable or selected.
		}
		const entries = this.idle.get(lease.key) ?? [];
		if (!client.usable || client.mailbox || entries.length >= this.maxIdle) {
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
