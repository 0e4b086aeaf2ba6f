import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type {
	FetchMessageObject,
	FetchQueryObject,
	ImapFlow,
	MessageEnvelopeObject,
	SearchObject,
} from 'imapflow';

import { MailIntelError } from '../../errors';
import { createLimiter } from '../../util/limit';
import { Rechunk } from '../../util/rechunk';
import { formatLocator } from '../../mail/locator';
import {
	parseEmail,
	storeBuffer,
	type AttachmentSink,
	type BufferedAttachment,
	type EmailIdentity,
	type ParsedEmail,
} from '../../mail/parse';
import type { ParseWorkers } from '../../mail/parse-workers';
import type { AttachmentPolicy } from '../../mail/policy';
import { parseHeaderDate, toUtcIso } from '../../mail/dates';
import type { AttachmentInfo } from '../../mail/types';
import type {
	ChangeBatch,
	ChangeOptions,
	FlagChange,
	MailProvider,
	MessageRef,
	MessageSummary,
} from '../types';
import { connectImap, disconnectImap, type ConnectOptions } from './connect';
import { emittedKey, mailboxWasReset, normalizeMessageId, type ImapCursor } from './cursor';
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

/** Messages up to this size come in one bulk UID FETCH; larger ones are streamed (imapflow `download()`). */
export const STREAM_THRESHOLD_BYTES = 4 * 1024 * 1024;
/** Cap on the source bytes of one bulk FETCH group held in memory at once. */
export const FETCH_GROUP_BYTES = 32 * 1024 * 1024;
/**
 * Parses running at once while a bulk FETCH streams in. Parsing is CPU-bound on one thread;
 * a few in flight keep the parser busy while the socket is read, more only add GC pressure.
 */
export const PARSES_IN_FLIGHT = 4;
/** Partial-FETCH window when streaming a large message. */
export const DOWNLOAD_CHUNK_BYTES = 1024 * 1024;
/** Slices a streamed message is fed to the parser in (see lib/util/rechunk.ts). */
export const PARSE_CHUNK_BYTES = 64 * 1024;
/** SEARCH SINCE compares dates in the server's time zone, day granularity: widen by a day, then filter exactly. */
const SEARCH_SINCE_SLACK_MS = 24 * 3600 * 1000;

/** One message fetched for the trigger: the parsed email and, when asked or needed, its raw source in the sink. */
export interface FetchedEmail<T> {
	summary: MessageSummary;
	parsed: ParsedEmail<T>;
	raw?: T;
}

export interface FetchManyOptions<T> {
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** Stores the raw .eml; called when `keepRaw` is set, or for a message that failed to parse. */
	rawSink?: AttachmentSink<T>;
	keepRaw?: boolean;
}

/**
 * IMAP over imapflow. One connection per provider instance, opened on first use (or taken
 * from a pool, and given back by close()); every mailbox is opened read-only (EXAMINE) and
 * bodies are fetched with BODY.PEEK, so the trigger never changes a message (no `\Seen`).
 */
export class ImapProvider implements MailProvider<ImapCursor> {
	readonly provider = 'imap' as const;
	readonly account: string;
	private connection?: Promise<ImapFlow>;
	private lease?: PooledConnection;

	constructor(
		private readonly settings: ImapSettings,
		private readonly options: ImapProviderOptions = {},
	) {
		this.account = settings.user;
	}

	/** Connected client, reconnecting when the last one was lost (kick, server restart). */
	async client(): Promise<ImapFlow> {
		if (this.connection) {
			const existing = await this.connection.catch(() => undefined);
			if (existing?.usable) return existing;
			existing?.close();
		}
		const connect = () => connectImap(this.settings, this.options);
		const pool = this.options.pool;
		this.lease = undefined;
		this.connection = pool
			? pool.acquire(this.settings, connect).then((lease) => {
					this.lease = lease;
					return lease.client;
				})
			: connect();
		return this.connection;
	}

	/** STATUS of a mailbox without selecting it: the whole cost of an empty poll. */
	async status(
		mailbox: string,
	): Promise<{ uidValidity: string; uidNext: number; messages: number; highestModseq?: string }> {
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

	/**
	 * New messages since `cursor`, oldest first, at most `options.limit` in one batch.
	 * Empty poll: one STATUS. A first run or a reset mailbox (UIDVALIDITY change, UIDs
	 * renumbered) scans from `options.since` and skips what the cursor remembers emitting.
	 */
	async *changes(
		mailbox: string,
		cursor: ImapCursor | undefined,
		options: ChangeOptions,
	): AsyncGenerator<ChangeBatch<ImapCursor>> {
		const status = await this.status(mailbox);
		const reset = cursor !== undefined && mailboxWasReset(cursor, status);
		if (cursor && !reset && status.uidNext <= cursor.lastUid + 1) {
			yield {
				messages: [],
				cursor: {
					...cursor,
					...(status.highestModseq ? { highestModseq: status.highestModseq } : {}),
				},
				more: false,
			};
			return;
		}
		// The lock is released before the batch is yielded: the consumer fetches the bodies
		// (fetchMany takes the same mailbox lock) while this generator is suspended.
		yield await this.scan(mailbox, cursor, reset, status, options);
	}

	private async scan(
		mailbox: string,
		cursor: ImapCursor | undefined,
		reset: boolean,
		status: { highestModseq?: string },
		options: ChangeOptions,
	): Promise<ChangeBatch<ImapCursor>> {
		const client = await this.client();
		const lock = await this.lock(client, mailbox);
		try {
			const box = client.mailbox;
			if (!box)
				throw new MailIntelError(`mailbox "${mailbox}" could not be opened`, {
					source: 'imap',
					field: 'mailboxes',
				});
			const uidValidity = String(box.uidValidity);
			// Re-check against what SELECT says: the mailbox may have been reset since STATUS.
			const resynced =
				cursor !== undefined &&
				(reset || mailboxWasReset(cursor, { uidValidity, uidNext: box.uidNext }));
			const windowed = cursor === undefined || resynced;
			const fromUid = windowed ? 1 : cursor.lastUid + 1;
			const highestModseq = box.highestModseq?.toString() ?? status.highestModseq;

			const candidates = await this.searchUids(
				client,
				mailbox,
				fromUid,
				windowed ? options.since : undefined,
			);
			// After a reset, what was already emitted is recognized by Message-ID + Date (bounded memory).
			const alreadyEmitted =
				resynced && cursor?.emitted?.length ? new Set(cursor.emitted) : undefined;
			const kept: MessageSummary[] = [];
			let examined = 0;
			let lastPassed = fromUid - 1;
			while (kept.length < options.limit && examined < candidates.length) {
				if (options.signal?.aborted) break;
				const chunk = candidates.slice(
					examined,
					examined + Math.max(options.limit - kept.length, 1),
				);
				const metadata = await this.metadata(client, chunk, alreadyEmitted !== undefined);
				for (const uid of chunk) {
					examined++;
					lastPassed = uid;
					const message = metadata.get(uid);
					if (!message) continue; // expunged since SEARCH: nothing left to emit
					const summary = this.summarize(mailbox, uidValidity, message);
					if (
						windowed &&
						summary.receivedAt &&
						Date.parse(summary.receivedAt) < options.since.getTime()
					)
						continue;
					if (alreadyEmitted?.has(emittedKey(summary))) continue;
					kept.push(summary);
					if (kept.length >= options.limit) break;
				}
			}
			const more = examined < candidates.length;
			// Everything below UIDNEXT that SEARCH did not return does not exist or is filtered
			// out, so the watermark may pass it; otherwise stop at the last UID looked at.
			const lastUid = more
				? lastPassed
				: Math.max(lastPassed, box.uidNext - 1, windowed ? 0 : (cursor?.lastUid ?? 0));
			return {
				messages: kept,
				cursor: {
					uidValidity,
					lastUid,
					...(highestModseq ? { highestModseq } : {}),
					// The keys of this batch are added by the caller once the messages are emitted (pollImap).
					...(cursor?.emitted ? { emitted: cursor.emitted } : {}),
				},
				more,
				...(resynced ? { resynced: true } : {}),
			};
		} catch (error) {
			throw imapError(error, this.settings, mailbox);
		} finally {
			lock.release();
		}
	}

	/** The newest message of a mailbox (the trigger's "fetch test event"), or undefined when empty. */
	async newest(mailbox: string): Promise<MessageSummary | undefined> {
		const client = await this.client();
		const lock = await this.lock(client, mailbox);
		try {
			if (!client.mailbox || client.mailbox.exists === 0) return undefined;
			const message = await client.fetchOne('*', {
				uid: true,
				internalDate: true,
				size: true,
				envelope: true,
				flags: true,
			});
			return message
				? this.summarize(mailbox, String(client.mailbox.uidValidity), message)
				: undefined;
		} catch (error) {
			throw imapError(error, this.settings, mailbox);
		} finally {
			lock.release();
		}
	}

	/**
	 * Downloads and parses messages of one mailbox, yielding them in the given order. Small
	 * messages come in bulk FETCH groups (bounded bytes) and are parsed while the rest of the
	 * group arrives; large ones are streamed straight into the parser, never buffered whole.
	 */
	async *fetchMany<T = BufferedAttachment>(
		mailbox: string,
		messages: MessageSummary[],
		options: FetchManyOptions<T>,
	): AsyncGenerator<FetchedEmail<T>> {
		if (messages.length === 0) return;
		const client = await this.client();
		const lock = await this.lock(client, mailbox);
		try {
			for (const group of fetchGroups(messages)) {
				if (group.length === 1 && (group[0].size ?? 0) > STREAM_THRESHOLD_BYTES) {
					const fetched = await this.streamOne(client, group[0], options);
					if (fetched) yield fetched;
					continue;
				}
				const pending = new Map<number, Promise<FetchedEmail<T>>>();
				const parseSlot = createLimiter(
					PARSES_IN_FLIGHT + (this.options.parseWorkers?.capacity ?? 0),
				);
				const byUid = new Map(group.map((summary) => [summary.uid as number, summary]));
				const query = { uid: true, source: true } as const;
				for await (const message of client.fetch(uidSet(group.map((m) => m.uid as number)), query, {
					uid: true,
				})) {
					const summary = byUid.get(message.uid);
					if (!summary || !message.source) continue;
					const source = message.source;
					const work = parseSlot(() => this.parseBuffer(summary, source, options));
					work.catch(() => undefined); // awaited below, in order
					pending.set(message.uid, work);
				}
				for (const summary of group) {
					const work = pending.get(summary.uid as number);
					if (work) yield await work; // a UID missing here was expunged meanwhile
				}
			}
		} catch (error) {
			throw imapError(error, this.settings, mailbox);
		} finally {
			lock.release();
		}
	}

	async fetch<T = BufferedAttachment>(
		ref: MessageRef,
		policy: AttachmentPolicy,
		sink?: AttachmentSink<T>,
	): Promise<ParsedEmail<T>> {
		const summary = { ...ref, size: undefined };
		const client = await this.client();
		const lock = await this.lockRef(client, ref);
		try {
			const fetched = await this.streamOne(client, summary, { policy, sink });
			if (!fetched) throw notFound(ref);
			return fetched.parsed;
		} catch (error) {
			throw imapError(error, this.settings, ref.mailbox);
		} finally {
			lock.release();
		}
	}

	async source(ref: MessageRef): Promise<Readable> {
		const client = await this.client();
		const lock = await this.lockRef(client, ref);
		try {
			const download = await client.download(String(ref.uid), undefined, {
				uid: true,
				chunkSize: DOWNLOAD_CHUNK_BYTES,
			});
			if (!download.content) throw notFound(ref);
			download.content.once('close', () => lock.release());
			return download.content;
		} catch (error) {
			lock.release();
			throw imapError(error, this.settings, ref.mailbox);
		}
	}

	async attachment(ref: MessageRef, attachmentId: string): Promise<Readable> {
		const client = await this.client();
		const lock = await this.lockRef(client, ref);
		try {
			const download = await client.download(String(ref.uid), attachmentId, {
				uid: true,
				chunkSize: DOWNLOAD_CHUNK_BYTES,
			});
			if (!download.content) throw notFound(ref, `part ${attachmentId}`);
			download.content.once('close', () => lock.release());
			return download.content;
		} catch (error) {
			lock.release();
			throw imapError(error, this.settings, ref.mailbox);
		}
	}

	async move(ref: MessageRef, destination: string): Promise<MessageRef> {
		const client = await this.client();
		const lock = await this.lockRef(client, ref, false);
		try {
			const result = await client.messageMove(String(ref.uid), destination, { uid: true });
			// imapflow answers a server NO with `false`: a silent failed quarantine is a security bug (STYLE #9).
			if (!result)
				throw new MailIntelError(`the server refused to move UID ${ref.uid} to "${destination}"`, {
					source: 'imap',
					code: 'MOVE_FAILED',
				});
			const uid = result.uidMap?.get(ref.uid as number);
			const uidValidity = result.uidValidity?.toString();
			return {
				provider: 'imap',
				account: this.account,
				mailbox: destination,
				id: uid && uidValidity ? `${uidValidity}:${uid}` : '',
				...(uid ? { uid } : {}),
				...(uidValidity ? { uidValidity } : {}),
			};
		} catch (error) {
			throw imapError(error, this.settings, ref.mailbox);
		} finally {
			lock.release();
		}
	}

	async setFlags(ref: MessageRef, change: FlagChange): Promise<void> {
		const client = await this.client();
		const lock = await this.lockRef(client, ref, false);
		try {
			const range = String(ref.uid);
			if (change.add?.length && !(await client.messageFlagsAdd(range, change.add, { uid: true }))) {
				throw new MailIntelError(`the server refused to add flags to UID ${ref.uid}`, {
					source: 'imap',
					code: 'STORE_FAILED',
				});
			}
			if (
				change.remove?.length &&
				!(await client.messageFlagsRemove(range, change.remove, { uid: true }))
			) {
				throw new MailIntelError(`the server refused to remove flags from UID ${ref.uid}`, {
					source: 'imap',
					code: 'STORE_FAILED',
				});
			}
		} catch (error) {
			throw imapError(error, this.settings, ref.mailbox);
		} finally {
			lock.release();
		}
	}

	async deleteAttachment(ref: MessageRef): Promise<MessageRef> {
		throw new MailIntelError(
			`removing an attachment from IMAP message UID ${ref.uid} needs the remediation rewrite (APPEND a new message, delete the old)`,
			{
				source: 'imap',
				code: 'NOT_SUPPORTED',
			},
		);
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

	private async lock(client: ImapFlow, mailbox: string, readOnly = true) {
		try {
			return await client.getMailboxLock(mailbox, { readOnly, description: 'email-intel' });
		} catch (error) {
			throw imapError(error, this.settings, mailbox);
		}
	}

	/** Opens the ref's mailbox and refuses to act when its UIDVALIDITY is not the ref's any more. */
	private async lockRef(client: ImapFlow, ref: MessageRef, readOnly = true) {
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

	private async searchUids(
		client: ImapFlow,
		mailbox: string,
		fromUid: number,
		since: Date | undefined,
	): Promise<number[]> {
		const query: SearchObject = { uid: `${fromUid}:*` };
		if (since) query.since = new Date(since.getTime() - SEARCH_SINCE_SLACK_MS);
		const search = this.options.search;
		if (search?.from) query.from = search.from;
		if (search?.to) query.to = search.to;
		if (search?.subject) query.subject = search.subject;
		const found = await client.search(query, { uid: true });
		if (found === false)
			throw new MailIntelError(`SEARCH failed in "${mailbox}"`, {
				source: 'imap',
				code: 'SEARCH_FAILED',
				retryable: true,
			});
		// `n:*` always matches the highest UID, even below n (RFC 3501 §6.4.8): drop those.
		return (found ?? []).filter((uid) => uid >= fromUid).sort((a, b) => a - b);
	}

	/**
	 * UID, INTERNALDATE, size and flags: cheap for the server. Message-ID and Date are read
	 * (header fields only, no ENVELOPE) just when a reset mailbox is re-scanned and they are
	 * needed to recognize already-emitted mail.
	 */
	private async metadata(
		client: ImapFlow,
		uids: number[],
		withIdentity: boolean,
	): Promise<Map<number, FetchMessageObject>> {
		const result = new Map<number, FetchMessageObject>();
		if (uids.length === 0) return result;
		const query: FetchQueryObject = { uid: true, internalDate: true, size: true, flags: true };
		if (withIdentity) query.headers = ['message-id', 'date'];
		for await (const message of client.fetch(uidSet(uids), query, { uid: true }))
			result.set(message.uid, message);
		return result;
	}

	private summarize(
		mailbox: string,
		uidValidity: string,
		message: FetchMessageObject,
	): MessageSummary {
		const internal = message.internalDate ? new Date(message.internalDate) : undefined;
		const identity = message.headers
			? identityFromHeaders(message.headers)
			: message.envelope
				? identityFromEnvelope(message.envelope)
				: {};
		return {
			provider: 'imap',
			account: this.account,
			mailbox,
			id: `${uidValidity}:${message.uid}`,
			uid: message.uid,
			uidValidity,
			...identity,
			...(internal && !Number.isNaN(internal.getTime()) ? { receivedAt: toUtcIso(internal) } : {}),
			...(message.size === undefined ? {} : { size: message.size }),
			flags: [...(message.flags ?? [])],
		};
	}

	private identity(summary: MessageSummary): EmailIdentity {
		return {
			provider: 'imap',
			account: this.account,
			mailbox: summary.mailbox,
			id: summary.id,
			locator: formatLocator(summary, { host: this.settings.host, port: this.settings.port }),
			uid: summary.uid,
			uidValidity: summary.uidValidity,
			...(summary.size === undefined ? {} : { size: summary.size }),
			flags: summary.flags ?? [],
			...(summary.receivedAt ? { receivedAt: summary.receivedAt } : {}),
		};
	}

	private async parseBuffer<T>(
		summary: MessageSummary,
		source: Buffer,
		options: FetchManyOptions<T>,
	): Promise<FetchedEmail<T>> {
		const parse = this.options.parseWorkers
			? this.options.parseWorkers.parse.bind(this.options.parseWorkers)
			: parseEmail;
		const parsed = await parse<T>(source, this.identity(summary), {
			policy: options.policy,
			sink: options.sink,
		});
		let raw: T | undefined;
		if (options.rawSink && (options.keepRaw || parsed.email.parseError)) {
			raw = await storeBuffer(options.rawSink, rawInfo(summary, source.length), source);
		}
		return { summary, parsed, raw };
	}

	/** Streams one message from the server into the parser (and the raw sink, teed) without buffering it. */
	private async streamOne<T>(
		client: ImapFlow,
		summary: MessageSummary,
		options: FetchManyOptions<T>,
	): Promise<FetchedEmail<T> | undefined> {
		const download = await client.download(String(summary.uid), undefined, {
			uid: true,
			chunkSize: DOWNLOAD_CHUNK_BYTES,
		});
		if (!download.content) return undefined;
		const size = summary.size ?? download.meta.expectedSize ?? 0;
		const content = new Rechunk(PARSE_CHUNK_BYTES);
		// Either side failing ends both: a broken download fails the parse, a parser that
		// gives up stops the download.
		pipeline(download.content, content).catch(() => undefined);
		if (!(options.rawSink && options.keepRaw)) {
			const parsed = await parseEmail<T>(content, this.identity({ ...summary, size }), {
				policy: options.policy,
				sink: options.sink,
			});
			return { summary, parsed };
		}
		const toParser = new PassThrough();
		const toRaw = new PassThrough();
		content.on('error', (error) => {
			toParser.destroy(error);
			toRaw.destroy(error);
		});
		content.pipe(toParser);
		content.pipe(toRaw);
		const [parsed, raw] = await Promise.all([
			parseEmail<T>(toParser, this.identity({ ...summary, size }), {
				policy: options.policy,
				sink: options.sink,
			}),
			options.rawSink(rawInfo(summary, size), toRaw),
		]);
		return { summary, parsed, raw };
	}
}

function rawInfo(summary: MessageSummary, size: number): AttachmentInfo {
	return {
		id: 'raw',
		filename: `message-${summary.uid}.eml`,
		contentType: 'message/rfc822',
		size,
		inline: false,
		binaryProperty: 'raw',
	};
}

function notFound(ref: MessageRef, what = 'message'): MailIntelError {
	return new MailIntelError(
		`${what} UID ${ref.uid} not found in "${ref.mailbox}" (deleted or moved)`,
		{ source: 'imap', code: 'NOT_FOUND', status: 404 },
	);
}

/** Splits messages into bulk-FETCH groups of bounded total size; a large message is a group of its own. */
export function fetchGroups(messages: MessageSummary[]): MessageSummary[][] {
	const groups: MessageSummary[][] = [];
	let current: MessageSummary[] = [];
	let bytes = 0;
	for (const message of messages) {
		const size = message.size ?? 0;
		if (size > STREAM_THRESHOLD_BYTES) {
			if (current.length) groups.push(current);
			groups.push([message]);
			current = [];
			bytes = 0;
			continue;
		}
		if (current.length && bytes + size > FETCH_GROUP_BYTES) {
			groups.push(current);
			current = [];
			bytes = 0;
		}
		current.push(message);
		bytes += size;
	}
	if (current.length) groups.push(current);
	return groups;
}

/** Compact UID set for a command line: `1:5,7,9:12`. */
export function uidSet(uids: number[]): string {
	const sorted = [...uids].sort((a, b) => a - b);
	const parts: string[] = [];
	for (let i = 0; i < sorted.length; i++) {
		const start = sorted[i];
		while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) i++;
		parts.push(start === sorted[i] ? String(start) : `${start}:${sorted[i]}`);
	}
	return parts.join(',');
}

/** Message-ID and Date from raw header lines, normalized as the parsed email's are (see emittedKeyOfEmail). */
function identityFromHeaders(headers: Buffer): { messageId?: string; date?: string } {
	const unfolded = headers.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
	const field = (name: string) =>
		new RegExp(`^${name}:[ \t]*(.*)$`, 'im').exec(unfolded)?.[1]?.trim();
	const messageId = normalizeMessageId(field('message-id'));
	const date = parseHeaderDate(field('date'));
	return { ...(messageId ? { messageId } : {}), ...(date ? { date } : {}) };
}

function identityFromEnvelope(envelope: MessageEnvelopeObject): {
	messageId?: string;
	date?: string;
} {
	const messageId = normalizeMessageId(envelope.messageId);
	const date =
		envelope.date && !Number.isNaN(new Date(envelope.date).getTime())
			? toUtcIso(new Date(envelope.date))
			: undefined;
	return { ...(messageId ? { messageId } : {}), ...(date ? { date } : {}) };
}
