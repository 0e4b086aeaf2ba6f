import type { ImapFlow } from 'imapflow';

import { MailIntelError, errorMessage } from '../../../errors';
import type { MessageSummary } from '../../../mail/message-ref';
import type { AttachmentSink } from '../../../mail/parse';
import type { AttachmentPolicy } from '../../../mail/policy';
import { sleep } from '../../../util/sleep';
import { connectImap, disconnectImap, type ConnectOptions } from '../connect';
import { imapError } from '../errors';
import { fetchEach } from '../fetch';
import type { ImapSettings } from '../settings';
import { changesAmongKnown } from './changes';
import { listFlags, listNew, snapshot, type MailboxSnapshot } from './pass';
import { WatchSession } from './session';
import type { EventCursor, FlagsByUid, MailboxEvent, NewMessageEvent, WatchMemory } from './types';

/**
 * RFC 2177 asks clients to end IDLE at least every 29 minutes; NAT boxes and some servers drop a
 * silent connection after about 5. Below both, and below imapflow's 5-minute socket timeout, so
 * a server that sends no keep-alive never makes the socket look dead.
 */
export const MAX_IDLE_MS = 4 * 60_000;
/** After a command, IDLE resumes this soon (imapflow's default waits 15 s, unwatched). */
export const AUTO_IDLE_DELAY_MS = 50;
/**
 * A pass this often even when the server said nothing: one STATUS when nothing changed. A safety
 * net for a notification the server never sent or imapflow did not report (each change is still
 * handed on once: the pass compares with the cursor).
 */
export const SAFETY_PASS_MS = MAX_IDLE_MS;
export const RECONNECT_INITIAL_MS = 1_000;
export const RECONNECT_MAX_MS = 60_000;

export interface WatcherSink<T> {
	/**
	 * Stores `cursor` (static data), then hands the events on, in order. Called with no events
	 * when only the cursor moved. A rejection leaves the watcher's cursor where it was: the same
	 * events are built again by the next pass.
	 */
	deliver(mailbox: string, events: Array<MailboxEvent<T>>, cursor: EventCursor): Promise<void>;
	/** The connection is gone and a first reconnect failed: once per outage (n8n: emitError). */
	lost(mailbox: string, error: MailIntelError): void;
	/** A pass failed for another reason (it is retried with backoff). */
	warn(mailbox: string, message: string): void;
}

export interface WatcherOptions<T> {
	settings: ImapSettings;
	mailbox: string;
	/** Mutated as events are handed on (memory.ts keeps it across reactivations). */
	memory: WatchMemory;
	policy: AttachmentPolicy;
	attachments: AttachmentSink<T>;
	keepRaw: boolean;
	/** messageNew events per delivery at most. */
	batchSize: number;
	sink: WatcherSink<T>;
	connect?: ConnectOptions;
	reconnect?: { initialMs: number; maxMs: number };
}

/**
 * One mailbox watched over its own IMAP connection: EXAMINE (read-only), then IDLE (imapflow
 * re-issues it every MAX_IDLE_MS, or polls with STATUS where the server lacks IDLE). Whatever the
 * server says while idling (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS) only wakes a change pass; the
 * pass asks the server what changed since the cursor — the same code for a live change and for the
 * catch-up after a reconnect — so each change is handed on once:
 * 1. STATUS: HIGHESTMODSEQ H and UIDNEXT, read first;
 * 2. flags and deletions at or below lastUid: `UID FETCH 1:lastUid (FLAGS) (CHANGEDSINCE m
 *    VANISHED)` under QRESYNC (RFC 7162), else every message's flags compared with what was
 *    handed on; the cursor's HIGHESTMODSEQ becomes H;
 * 3. new messages above lastUid, fetched and parsed by fetch.ts, in batches, lastUid advancing
 *    with each batch.
 * The cursor is stored by the sink before each batch is handed on. A lost connection is
 * re-opened at once; if that fails the sink hears it once, and retries continue with backoff
 * until the server is back, then the pass catches up.
 */
export class MailboxWatcher<T> {
	private client?: ImapFlow;
	private stopped = false;
	private dirty = false;
	private draining?: Promise<void>;
	private retryTimer?: NodeJS.Timeout;
	private safetyTimer?: NodeJS.Timeout;
	private failures = 0;
	private reconnecting?: Promise<void>;
	private readonly abort = new AbortController();
	/** UIDs the server reported expunged (VANISHED, live or EARLIER) not yet looked at by a pass. */
	private readonly vanished = new Set<number>();
	private readonly session: WatchSession;

	constructor(private readonly options: WatcherOptions<T>) {
		this.session = new WatchSession(options.settings, () => this.client);
	}

	get mailbox(): string {
		return this.options.mailbox;
	}

	/** Connects and opens the mailbox (throws when it cannot: wrong password, no such mailbox), then catches up. */
	async start(): Promise<void> {
		await this.open();
		this.options.memory.outage = false;
		const firstWatch = this.options.memory.cursor === undefined;
		this.wake();
		// A first watch returns once the baseline is taken: what arrives after start() is an event.
		// A catch-up (a cursor exists) runs on after start() returns: it may be long.
		if (firstWatch) await this.draining;
	}

	/**
	 * Like start(), but never throws: connecting is retried in the background. For a reactivation
	 * while an outage this watcher reported is still going on (memory.outage): n8n closed and
	 * re-activated the trigger because of that report, and must not hear of it again.
	 */
	startInBackground(): void {
		this.reconnecting ??= this.reconnect(false).finally(() => (this.reconnecting = undefined));
	}

	async stop(): Promise<void> {
		this.stopped = true;
		this.abort.abort();
		clearTimeout(this.retryTimer);
		clearInterval(this.safetyTimer);
		const client = this.client;
		this.client = undefined;
		if (client) await disconnectImap(client);
	}

	private async open(): Promise<void> {
		const { settings, mailbox } = this.options;
		const client = await connectImap(settings, {
			...this.options.connect,
			flow: {
				disableAutoIdle: false,
				autoIdleDelay: AUTO_IDLE_DELAY_MS,
				maxIdleTime: MAX_IDLE_MS,
				missingIdleCommand: 'STATUS',
				disableAutoEnable: false,
				qresync: true,
			},
		});
		if (this.stopped) {
			await disconnectImap(client);
			return;
		}
		client.on('exists', () => this.wake());
		client.on('flags', () => this.wake());
		client.on('expunge', (event: { uid?: number }) => {
			if (event.uid) this.vanished.add(event.uid);
			this.wake();
		});
		client.on('close', () => this.lostConnection(client));
		if (!this.safetyTimer) {
			this.safetyTimer = setInterval(() => this.wake(), SAFETY_PASS_MS);
			this.safetyTimer.unref?.();
		}
		try {
			await client.mailboxOpen(mailbox, { readOnly: true });
		} catch (error) {
			await disconnectImap(client);
			throw imapError(error, settings, mailbox);
		}
		if (this.stopped) {
			await disconnectImap(client); // stopped while opening: nobody else would close it
			return;
		}
		this.client = client;
	}

	private lostConnection(client: ImapFlow): void {
		if (this.stopped || this.client !== client) return;
		this.client = undefined;
		this.reconnecting ??= this.reconnect(true).finally(() => (this.reconnecting = undefined));
	}

	/** Re-opens at once, then with doubling delays; `report`: tell the sink if the first try fails. */
	private async reconnect(report: boolean): Promise<void> {
		const { initialMs, maxMs } = this.options.reconnect ?? {
			initialMs: RECONNECT_INITIAL_MS,
			maxMs: RECONNECT_MAX_MS,
		};
		let delay = initialMs;
		let reported = !report;
		while (!this.stopped) {
			try {
				await this.open();
				this.failures = 0;
				this.options.memory.outage = false;
				this.wake();
				return;
			} catch (error) {
				if (this.stopped) return;
				const failure = imapError(error, this.options.settings, this.mailbox);
				if (!reported && !this.options.memory.outage) {
					reported = true;
					this.options.memory.outage = true;
					this.options.sink.lost(this.mailbox, failure);
				} else this.options.sink.warn(this.mailbox, `reconnect failed: ${failure.message}`);
			}
			try {
				await sleep(delay, this.abort.signal);
			} catch {
				return;
			}
			delay = Math.min(delay * 2, maxMs);
		}
	}

	/** Something changed (or may have): run a pass now, or right after the running one. */
	private wake(): void {
		this.dirty = true;
		this.draining ??= this.drain().finally(() => (this.draining = undefined));
	}

	private async drain(): Promise<void> {
		while (this.dirty && !this.stopped) {
			const client = this.client;
			if (!client) return; // the reconnect wakes us again
			this.dirty = false;
			try {
				await this.pass(client);
				this.failures = 0;
			} catch (error) {
				if (this.stopped || this.client !== client || !client.usable) return; // reconnect follows
				this.failures++;
				const delay = Math.min(
					(this.options.reconnect?.initialMs ?? RECONNECT_INITIAL_MS) * 2 ** (this.failures - 1),
					this.options.reconnect?.maxMs ?? RECONNECT_MAX_MS,
				);
				this.options.sink.warn(
					this.mailbox,
					`change pass failed (${errorMessage(error)}); retrying in ${delay} ms`,
				);
				clearTimeout(this.retryTimer);
				this.retryTimer = setTimeout(() => this.wake(), delay);
				this.retryTimer.unref?.();
				return;
			}
		}
	}

	private async pass(client: ImapFlow): Promise<void> {
		const { memory, mailbox } = this.options;
		const now = await snapshot(client, mailbox);
		if (memory.cursor && memory.cursor.uidValidity !== now.uidValidity) {
			// RFC 3501 §2.3.1.1: a new UIDVALIDITY is a new mailbox; the old UIDs mean nothing.
			this.options.sink.warn(
				mailbox,
				`UIDVALIDITY changed (${memory.cursor.uidValidity} → ${now.uidValidity}): watching the rebuilt mailbox from now on`,
			);
			memory.cursor = undefined;
			memory.flags = undefined;
		}
		if (!memory.cursor) return this.baseline(client, now);
		await this.knownChanges(client, memory.cursor, now);
		await this.newMessages(client, now);
	}

	/** First watch of a mailbox: what is there now is the starting point; events are what happens next. */
	private async baseline(client: ImapFlow, now: MailboxSnapshot): Promise<void> {
		const cursor: EventCursor = {
			uidValidity: now.uidValidity,
			lastUid: now.uidNext - 1,
			...(now.highestModseq ? { highestModseq: now.highestModseq } : {}),
		};
		const flags = await loadFlags(client, cursor.lastUid);
		await this.options.sink.deliver(this.mailbox, [], cursor);
		this.options.memory.cursor = cursor;
		this.options.memory.flags = flags;
		// Whatever arrived while the baseline was taken is above lastUid: the next pass has it.
		this.dirty = true;
	}

	private async knownChanges(
		client: ImapFlow,
		cursor: EventCursor,
		now: MailboxSnapshot,
	): Promise<void> {
		const memory = this.options.memory;
		const qresync = client.enabled?.has('QRESYNC') === true;
		const since =
			qresync && cursor.highestModseq && now.highestModseq ? cursor.highestModseq : undefined;
		if (since !== undefined && since === now.highestModseq && memory.flags) return; // nothing changed
		const listed = await listFlags(client, cursor.lastUid, since);
		const vanished = [...this.vanished];
		const complete = since === undefined;
		const next: EventCursor = {
			...cursor,
			...(now.highestModseq ? { highestModseq: now.highestModseq } : {}),
		};
		if (complete && !memory.flags) {
			// Without QRESYNC and without the flags handed on before (a process restart), there is
			// nothing to compare with: this listing becomes the reference.
			await this.options.sink.deliver(this.mailbox, [], next);
		} else {
			const changes = changesAmongKnown(cursor.lastUid, memory.flags, listed, vanished, complete);
			const ref = (uid: number) => this.summary(cursor.uidValidity, uid);
			// Flag changes first: a message is usually flagged (\Deleted, a label) before it goes.
			const events: Array<MailboxEvent<T>> = [
				...changes.updated.map((update) => ({
					type: 'messageUpdated' as const,
					summary: { ...ref(update.uid), flags: update.flags },
					flags: update.flags,
					...(update.added ? { added: update.added, removed: update.removed } : {}),
					...(update.modseq ? { modseq: update.modseq } : {}),
				})),
				...changes.deleted.map((uid) => ({ type: 'messageDeleted' as const, summary: ref(uid) })),
			];
			await this.options.sink.deliver(this.mailbox, events, next);
			if (memory.flags) {
				for (const uid of changes.deleted) memory.flags.delete(uid);
				for (const update of changes.updated) memory.flags.set(update.uid, update.flags);
			}
		}
		for (const uid of vanished) this.vanished.delete(uid);
		memory.cursor = next;
		if (complete) memory.flags = new Map(listed.map((m) => [m.uid, m.flags]));
		// After a restart under QRESYNC the catch-up carried the changes; now learn every message's flags.
		else memory.flags ??= await loadFlags(client, cursor.lastUid);
	}

	private async newMessages(client: ImapFlow, now: MailboxSnapshot): Promise<void> {
		const memory = this.options.memory;
		const start = memory.cursor as EventCursor;
		if (now.uidNext <= start.lastUid + 1) return; // a later arrival wakes another pass (EXISTS)
		const fresh = await listNew(
			client,
			this.session.account,
			this.mailbox,
			start.uidValidity,
			start.lastUid,
		);
		for (let at = 0; at < fresh.length; at += this.options.batchSize) {
			const batch = fresh.slice(at, at + this.options.batchSize);
			const events: Array<NewMessageEvent<T>> = [];
			for await (const outcome of fetchEach(this.session, this.mailbox, batch, {
				policy: this.options.policy,
				sink: this.options.attachments,
				rawSink: this.options.attachments,
				keepRaw: this.options.keepRaw,
			})) {
				const fetched = outcome.fetched;
				if (!fetched) continue; // expunged before it could be fetched: never seen, never told
				events.push({
					type: 'messageNew',
					summary: outcome.summary,
					email: fetched.parsed.email,
					attachments: fetched.parsed.attachments,
					...(fetched.raw === undefined ? {} : { raw: fetched.raw }),
				});
			}
			const cursor: EventCursor = {
				...(memory.cursor as EventCursor),
				lastUid: batch[batch.length - 1].uid as number,
			};
			await this.options.sink.deliver(this.mailbox, events, cursor);
			memory.cursor = cursor;
			memory.flags ??= new Map();
			for (const event of events)
				memory.flags.set(event.summary.uid as number, event.summary.flags ?? []);
		}
	}

	private summary(uidValidity: string, uid: number): MessageSummary {
		return {
			provider: 'imap',
			account: this.session.account,
			mailbox: this.mailbox,
			id: `${uidValidity}:${uid}`,
			uid,
			uidValidity,
		};
	}
}

async function loadFlags(client: ImapFlow, lastUid: number): Promise<FlagsByUid> {
	const listed = await listFlags(client, lastUid);
	return new Map(listed.map((message) => [message.uid, message.flags]));
}
