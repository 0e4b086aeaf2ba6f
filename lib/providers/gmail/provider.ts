import { PassThrough, Readable } from 'node:stream';

import { MailIntelError, errorMessage } from '../../errors';
import { toUtcIso } from '../../mail/dates';
import { formatLocator } from '../../mail/locator';
import {
	parseEmail,
	storeBuffer,
	type AttachmentSink,
	type EmailIdentity,
	type ParsedEmail,
	type ParseOptions,
} from '../../mail/parse';
import type { ParseWorkers } from '../../mail/parse-workers';
import type { AttachmentPolicy } from '../../mail/policy';
import type { AttachmentInfo } from '../../mail/types';
import type { ChangeBatch, ChangeOptions, FlagChange, MailProvider, MessageRef } from '../types';
import type { GmailClient } from './client';
import type { GmailCursor } from './cursor';
import { gmailChanges, type SeenMessage } from './history';
import { splitRawMessage, type GmailMessageMeta } from './raw-message';

export interface GmailProviderOptions {
	client: GmailClient;
	/** The mailbox address items name as `account` (the token's user, or the delegated user). */
	account: string;
	/** Gmail search query narrowing the full sync. */
	query?: string;
	/** Parse threads for messages small enough to hold (lib/mail/parse-workers.ts); none: this thread. */
	parseWorkers?: ParseWorkers;
}

/**
 * A message whose source is at most this many bytes is parsed from memory (on a parse thread
 * when the pool has room: bulk ingest is bound by MIME parsing, not by the downloads); a larger
 * one streams into the parser as it arrives, never held whole.
 */
export const IN_MEMORY_BYTES = 1024 * 1024;

export interface GmailFetchOptions<T> {
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** Stores the raw .eml (teed from the download, never buffered) when `keepRaw`. */
	rawSink?: AttachmentSink<T>;
	keepRaw?: boolean;
	recordTransientFailures?: boolean;
	/** Called once the whole source has been read into memory (before it is parsed). */
	onDownloaded?: () => void;
}

/** A fetched message: the parsed item, and the stored raw source when asked for. */
export interface GmailFetched<T> {
	parsed: ParsedEmail<T>;
	raw?: T;
}

/**
 * Gmail as a MailProvider. `changes()` is history.ts (labels are the "mailbox": a comma list of
 * label ids); `fetch()` downloads `format=raw` and streams it through the shared mail parser;
 * labels serve as folders (`move`) and as flags (`setFlags`).
 */
export class GmailProvider implements MailProvider<GmailCursor> {
	readonly provider = 'gmail' as const;
	readonly account: string;
	readonly client: GmailClient;
	/** What `changes()` said of the messages it handed out during this run (history record, labels). */
	readonly seen = new Map<string, SeenMessage>();

	constructor(private readonly options: GmailProviderOptions) {
		this.client = options.client;
		this.account = options.account;
	}

	changes(
		mailbox: string,
		cursor: GmailCursor | undefined,
		options: ChangeOptions,
	): AsyncIterable<ChangeBatch<GmailCursor>> {
		return gmailChanges(
			this.client,
			cursor,
			{
				...options,
				labels: labelList(mailbox),
				account: this.account,
				...(this.options.query ? { query: this.options.query } : {}),
			},
			this.seen,
		);
	}

	fetch<T>(
		ref: MessageRef,
		policy: AttachmentPolicy,
		sink?: AttachmentSink<T>,
		options: { recordTransientFailures?: boolean } = {},
	): Promise<ParsedEmail<T>> {
		return this.fetchMessage(ref, { policy, sink, ...options }).then((fetched) => fetched.parsed);
	}

	/**
	 * One message, downloaded and parsed as it arrives (never held whole). A message gone since
	 * it was listed rejects with status 404; a cut download rejects retryably.
	 */
	async fetchMessage<T>(ref: MessageRef, options: GmailFetchOptions<T>): Promise<GmailFetched<T>> {
		const body = await this.client.stream({
			path: `messages/${encodeURIComponent(ref.id)}`,
			query: { format: 'raw' },
		});
		const { source, meta } = splitRawMessage(body);
		const identity: EmailIdentity = {
			provider: 'gmail',
			account: this.account,
			mailbox: ref.mailbox,
			id: ref.id,
			locator: formatLocator({ ...ref, provider: 'gmail', account: this.account }),
		};
		const parseOptions: ParseOptions<T> = {
			policy: options.policy,
			...(options.sink ? { sink: options.sink } : {}),
			...(options.recordTransientFailures ? { recordTransientFailures: true } : {}),
		};
		const head = await readHead(source, IN_MEMORY_BYTES);
		let parsed: ParsedEmail<T>;
		let raw: T | undefined;
		if (head.whole) {
			options.onDownloaded?.();
			const workers = this.options.parseWorkers;
			parsed = workers
				? await workers.parse<T>(head.whole, identity, parseOptions)
				: await parseEmail<T>(head.whole, identity, parseOptions);
			if (options.rawSink && (options.keepRaw || parsed.email.parseError))
				raw = await storeBuffer(options.rawSink, rawInfo(ref.id), head.whole);
		} else if (options.rawSink && options.keepRaw) {
			const toParser = new PassThrough();
			const toRaw = new PassThrough();
			head.rest.on('error', (error) => {
				toParser.destroy(error);
				toRaw.destroy(error);
			});
			head.rest.pipe(toParser);
			head.rest.pipe(toRaw);
			[parsed, raw] = await Promise.all([
				parseEmail<T>(toParser, identity, parseOptions),
				options.rawSink(rawInfo(ref.id), toRaw),
			]);
		} else parsed = await parseEmail<T>(head.rest, identity, parseOptions);
		applyMeta(parsed, await meta);
		return { parsed, ...(raw !== undefined ? { raw } : {}) };
	}

	async source(ref: MessageRef): Promise<Readable> {
		const body = await this.client.stream({
			path: `messages/${encodeURIComponent(ref.id)}`,
			query: { format: 'raw' },
		});
		return splitRawMessage(body).source;
	}

	/** One attachment by its id in `attachments[]` (the MIME part path), from the raw source. */
	async attachment(ref: MessageRef, attachmentId: string): Promise<Readable> {
		let found: Buffer | undefined;
		const sink: AttachmentSink<null> = async (info, content) => {
			if (info.id !== attachmentId) {
				content.resume();
				await new Promise((resolve) => content.once('end', resolve));
				return null;
			}
			const chunks: Buffer[] = [];
			for await (const chunk of content) chunks.push(chunk as Buffer);
			found = Buffer.concat(chunks);
			return null;
		};
		await this.fetchMessage(ref, {
			policy: {
				mimeTypes: ['*'],
				includeInline: true,
				maxAttachmentBytes: Number.MAX_SAFE_INTEGER,
				maxTextChars: 0,
			},
			sink,
		});
		if (!found)
			throw new MailIntelError(`message ${ref.id} has no attachment ${attachmentId}`, {
				source: 'gmail',
				code: 'NOT_FOUND',
				hint: 'Use an id from the item\'s "attachments" list.',
			});
		return Readable.from([found]);
	}

	/** Gmail has no folders: moving is adding the destination label and removing the current one. */
	async move(ref: MessageRef, destination: string): Promise<MessageRef> {
		if (destination === 'TRASH') {
			await this.client.json({
				method: 'POST',
				path: `messages/${encodeURIComponent(ref.id)}/trash`,
				idempotent: true,
			});
		} else {
			const current = ref.mailbox && ref.mailbox !== 'ALL' ? [ref.mailbox] : [];
			await this.setFlags(ref, { add: [destination], remove: current });
		}
		return { ...ref, mailbox: destination };
	}

	async setFlags(ref: MessageRef, change: FlagChange): Promise<void> {
		await this.client.json({
			method: 'POST',
			path: `messages/${encodeURIComponent(ref.id)}/modify`,
			body: { addLabelIds: change.add ?? [], removeLabelIds: change.remove ?? [] },
			idempotent: true, // adds and removes labels: a repeat changes nothing
		});
	}

	async deleteAttachment(ref: MessageRef): Promise<MessageRef> {
		throw new MailIntelError(`Gmail cannot edit message ${ref.id} in place`, {
			source: 'gmail',
			code: 'NOT_SUPPORTED',
			hint: 'The Gmail API cannot change a message: remediation rewrites it (messages.insert of the cleaned copy, then trash the original).',
		});
	}

	async close(): Promise<void> {
		this.seen.clear();
	}
}

/** The configured labels as the provider's "mailbox": label ids separated by commas. */
export function labelList(mailbox: string): string[] {
	return [
		...new Set(
			mailbox
				.split(/[\n,]/)
				.map((label) => label.trim())
				.filter(Boolean),
		),
	];
}

export function labelMailbox(labels: string[]): string {
	return labels.join(',');
}

/** What Gmail says of the message, on the item: labels, thread, when it arrived, size. */
function applyMeta<T>(parsed: ParsedEmail<T>, meta: GmailMessageMeta): void {
	const email = parsed.email;
	email.labels = meta.labelIds ?? [];
	if (meta.threadId) email.threadId = meta.threadId;
	if (meta.sizeEstimate !== undefined) email.size = meta.sizeEstimate;
	const internal = meta.internalDate ? Number(meta.internalDate) : NaN;
	if (Number.isFinite(internal)) {
		email.receivedAt = toUtcIso(new Date(internal));
		// The parser fell back to "unknown" without a received time: Gmail's is the better one.
		if (email.dateFromReceived) email.date = email.receivedAt;
	}
}

function rawInfo(id: string): AttachmentInfo {
	return {
		id: 'raw',
		filename: `message-${id}.eml`,
		contentType: 'message/rfc822',
		size: 0,
		inline: false,
		binaryProperty: 'raw',
	};
}

/**
 * The first `limit` bytes of a stream: the whole source when it ends within them, else a stream
 * of everything (what was read, then the rest as it comes; a failure of the source fails it).
 */
async function readHead(
	source: Readable,
	limit: number,
): Promise<{ whole: Buffer; rest?: undefined } | { whole?: undefined; rest: Readable }> {
	const chunks = source[Symbol.asyncIterator]();
	const head: Buffer[] = [];
	let size = 0;
	for (;;) {
		let next: IteratorResult<unknown>;
		try {
			next = await chunks.next();
		} catch (error) {
			throw new MailIntelError(
				`The message source was interrupted before its end: ${errorMessage(error)}`,
				{
					source: 'gmail',
					code: 'SOURCE_INTERRUPTED',
					retryable: true,
					hint: 'The download failed mid-transfer; the message is fetched again on the next poll.',
					cause: error,
				},
			);
		}
		if (next.done) return { whole: Buffer.concat(head) };
		head.push(next.value as Buffer);
		size += (next.value as Buffer).length;
		if (size > limit) break;
	}
	return {
		rest: Readable.from(
			(async function* () {
				yield* head;
				for (let next = await chunks.next(); !next.done; next = await chunks.next())
					yield next.value as Buffer;
			})(),
			{ objectMode: false },
		),
	};
}
