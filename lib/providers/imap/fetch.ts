import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { ImapFlow } from 'imapflow';

import { MailIntelError, errorMessage } from '../../errors';
import type { MessageSummary } from '../../mail/message-ref';
import {
	parseEmail,
	storeBuffer,
	type AttachmentSink,
	type BufferedAttachment,
	type ParsedEmail,
} from '../../mail/parse';
import { WALK_MAX_BYTES } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import type { AttachmentInfo } from '../../mail/types';
import { createLimiter } from '../../util/limit';
import { Rechunk } from '../../util/rechunk';
import { imapError } from './errors';
import type { ImapSession } from './session';
import { emailIdentity } from './summary';
import { uidSet } from './uid-set';

/**
 * Messages up to this size come in one bulk UID FETCH; larger ones are streamed (imapflow
 * `download()`). The parser's own line between walking a source in memory and streaming it.
 */
export const STREAM_THRESHOLD_BYTES = WALK_MAX_BYTES;
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

/** One message fetched for the trigger: the parsed email and, when asked or needed, its raw source in the sink. */
export interface FetchedEmail<T> {
	summary: MessageSummary;
	parsed: ParsedEmail<T>;
	raw?: T;
}

/** A message of the list: fetched, or gone (expunged or moved since it was listed). */
export interface FetchOutcome<T> {
	summary: MessageSummary;
	fetched?: FetchedEmail<T>;
}

export interface FetchManyOptions<T> {
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** Stores the raw .eml; called when `keepRaw` is set, or for a message that failed to parse. */
	rawSink?: AttachmentSink<T>;
	keepRaw?: boolean;
	/** True for a message whose retry budget is spent: part failures are recorded, not thrown (lib/ingest). */
	recordTransientFailures?: (id: string) => boolean;
}

/**
 * Downloads and parses messages of one mailbox, yielding each in the given order (a message
 * gone since it was listed is yielded without `fetched`). Small messages come in bulk FETCH
 * groups (bounded bytes) and are parsed while the rest of the group arrives; large ones are
 * streamed straight into the parser, never buffered whole. A failure (connection cut, a store
 * that cannot write) throws at the first message not yet yielded: the ingest core knows which.
 */
export async function* fetchEach<T = BufferedAttachment>(
	session: ImapSession,
	mailbox: string,
	messages: MessageSummary[],
	options: FetchManyOptions<T>,
): AsyncGenerator<FetchOutcome<T>> {
	if (messages.length === 0) return;
	const client = await session.client();
	const lock = await session.lock(client, mailbox);
	try {
		for (const group of fetchGroups(messages)) {
			if (group.length === 1 && (group[0].size ?? 0) > STREAM_THRESHOLD_BYTES) {
				yield { summary: group[0], fetched: await streamOne(session, client, group[0], options) };
				continue;
			}
			const pending = new Map<number, Promise<FetchedEmail<T>>>();
			const parseSlot = createLimiter(
				PARSES_IN_FLIGHT + (session.options.parseWorkers?.capacity ?? 0),
			);
			const byUid = new Map(group.map((summary) => [summary.uid as number, summary]));
			const query = { uid: true, source: true } as const;
			try {
				for await (const message of client.fetch(uidSet(group.map((m) => m.uid as number)), query, {
					uid: true,
				})) {
					const summary = byUid.get(message.uid);
					if (!summary || !message.source) continue;
					const source = message.source;
					const work = parseSlot(() => parseBuffer(session, summary, source, options));
					work.catch(() => undefined); // awaited below, in order
					pending.set(message.uid, work);
				}
			} catch (error) {
				// The FETCH broke off (connection cut): what was parsed before the break still
				// leaves in order; the first message without its source is where the core stops.
				for (const summary of group) {
					const work = pending.get(summary.uid as number);
					if (!work) break;
					yield { summary, fetched: await work };
				}
				throw error;
			}
			for (const summary of group) {
				const work = pending.get(summary.uid as number);
				yield { summary, fetched: work ? await work : undefined }; // missing: expunged meanwhile
			}
		}
	} catch (error) {
		throw imapError(error, session.settings, mailbox);
	} finally {
		lock.release();
	}
}

async function parseBuffer<T>(
	session: ImapSession,
	summary: MessageSummary,
	source: Buffer,
	options: FetchManyOptions<T>,
): Promise<FetchedEmail<T>> {
	const workers = session.options.parseWorkers;
	const parse = workers ? workers.parse.bind(workers) : parseEmail;
	const parsed = await parse<T>(source, emailIdentity(session.settings, summary), {
		policy: options.policy,
		sink: options.sink,
		...recording(summary, options),
	});
	let raw: T | undefined;
	if (options.rawSink && (options.keepRaw || parsed.email.parseError)) {
		raw = await storeBuffer(options.rawSink, rawInfo(summary, source.length), source);
	}
	return { summary, parsed, raw };
}

/** Streams one message from the server into the parser (and the raw sink, teed) without buffering it. */
export async function streamOne<T>(
	session: ImapSession,
	client: ImapFlow,
	summary: MessageSummary,
	options: FetchManyOptions<T>,
): Promise<FetchedEmail<T> | undefined> {
	// imapflow leaves a chunk FETCH pending when the socket closes under it at some moments: the
	// download would wait forever. The connection's own 'close' ends it with an error instead.
	const lost = connectionLost(client, summary, session.settings);
	try {
		return await streamDownload(client, summary, options, lost);
	} finally {
		lost.dispose();
	}
}

async function streamDownload<T>(
	client: ImapFlow,
	summary: MessageSummary,
	options: FetchManyOptions<T>,
	lost: ConnectionWatch,
): Promise<FetchedEmail<T> | undefined> {
	const download = await Promise.race([
		client.download(String(summary.uid), undefined, {
			uid: true,
			chunkSize: DOWNLOAD_CHUNK_BYTES,
		}),
		lost.closed,
	]);
	if (!download.content) return undefined;
	lost.onClose((error) => download.content.destroy(error));
	const size = summary.size ?? download.meta.expectedSize ?? 0;
	const counted = new ByteCounter();
	const content = new Rechunk(PARSE_CHUNK_BYTES);
	// Either side failing ends both: a broken download fails the parse, a parser that gives up
	// stops the download. The download's own error is kept: it decides what happened.
	let downloadError: unknown;
	const transfer = pipeline(download.content, counted, content).catch((error) => {
		downloadError = error;
	});
	const identity = emailIdentity(lost.settings, { ...summary, size });
	const parseOptions = {
		policy: options.policy,
		sink: options.sink,
		...recording(summary, options),
	};
	let result: FetchedEmail<T>;
	if (!(options.rawSink && options.keepRaw)) {
		result = { summary, parsed: await parseEmail<T>(content, identity, parseOptions) };
	} else {
		const toParser = new PassThrough();
		const toRaw = new PassThrough();
		content.on('error', (error) => {
			toParser.destroy(error);
			toRaw.destroy(error);
		});
		content.pipe(toParser);
		content.pipe(toRaw);
		const [parsed, raw] = await Promise.all([
			parseEmail<T>(toParser, identity, parseOptions),
			options.rawSink(rawInfo(summary, size), toRaw),
		]);
		result = { summary, parsed, raw };
	}
	await transfer;
	// A message cut off mid-transfer is not a broken message: it is retried whole next poll.
	// Checked by size too, because a connection that closes may end the stream without an error.
	const expected = summary.size ?? download.meta.expectedSize;
	if (downloadError !== undefined || (expected !== undefined && counted.bytes < expected)) {
		throw new MailIntelError(
			`the download of UID ${summary.uid} in "${summary.mailbox}" broke off after ${counted.bytes} of ${expected ?? '?'} bytes${
				downloadError === undefined ? '' : `: ${errorMessage(downloadError)}`
			}`,
			{ source: 'imap', code: 'SOURCE_INTERRUPTED', retryable: true, cause: downloadError },
		);
	}
	return result;
}

interface ConnectionWatch {
	settings: ImapSession['settings'];
	/** Rejects when the connection closes (never resolves). */
	closed: Promise<never>;
	onClose(listener: (error: MailIntelError) => void): void;
	dispose(): void;
}

function connectionLost(
	client: ImapFlow,
	summary: MessageSummary,
	settings: ImapSession['settings'],
): ConnectionWatch {
	const listeners: Array<(error: MailIntelError) => void> = [];
	let fail: (error: MailIntelError) => void = () => undefined;
	const closed = new Promise<never>((_, reject) => (fail = reject));
	closed.catch(() => undefined);
	const onClose = () => {
		const error = new MailIntelError(
			`the connection closed while UID ${summary.uid} of "${summary.mailbox}" was downloading`,
			{ source: 'imap', code: 'CONNECTION_LOST', retryable: true },
		);
		fail(error);
		for (const listener of listeners) listener(error);
	};
	client.once('close', onClose);
	return {
		settings,
		closed,
		onClose: (listener) => listeners.push(listener),
		dispose: () => client.off('close', onClose),
	};
}

/** The parse option of a message whose retry budget is spent (see lib/ingest/core.ts). */
function recording(
	summary: MessageSummary,
	options: FetchManyOptions<unknown>,
): { recordTransientFailures?: boolean } {
	return options.recordTransientFailures?.(summary.id) ? { recordTransientFailures: true } : {};
}

/** Counts the bytes that pass, to tell a complete download from one the connection cut short. */
class ByteCounter extends Transform {
	bytes = 0;
	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.bytes += chunk.length;
		callback(null, chunk);
	}
}

export function rawInfo(summary: MessageSummary, size: number): AttachmentInfo {
	return {
		id: 'raw',
		filename: `message-${summary.uid}.eml`,
		contentType: 'message/rfc822',
		size,
		inline: false,
		binaryProperty: 'raw',
	};
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
