import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { MailParser, type AddressObject, type HeaderLines } from 'mailparser';

import { errorMessage } from '../errors';
import { parseHeaderDate, toUtcIso } from './dates';
import { normalizeAddress, normalizeAddressList } from './addresses';
import {
	AttachmentTooLargeError,
	drainPart,
	IN_MEMORY_PART_BYTES,
	readPart,
	type SizeCap,
} from './part-reader';
import { skipReasonFor, type AttachmentPolicy } from './policy';
import type { AttachmentInfo, NormalizedEmail } from './types';

export { AttachmentTooLargeError, SizeCap } from './part-reader';

/** What the provider knows about a message before its source is parsed. */
export type EmailIdentity = Pick<
	NormalizedEmail,
	'provider' | 'account' | 'mailbox' | 'id' | 'locator'
> &
	Partial<
		Pick<
			NormalizedEmail,
			'uid' | 'uidValidity' | 'threadId' | 'size' | 'flags' | 'labels' | 'categories'
		>
	> & {
		/** The server's received time (IMAP INTERNALDATE, Graph receivedDateTime): the date fallback. */
		receivedAt?: Date | string;
	};

/**
 * Receives the decoded bytes of one kept attachment and stores them somewhere (memory,
 * n8n's binary data store). It must consume `content`; if `content` errors (the size cap
 * or a decoding failure) the sink must reject and clean up what it wrote.
 */
export type AttachmentSink<T> = ((info: AttachmentInfo, content: Readable) => Promise<T>) & {
	/**
	 * Optional: stores bytes that are already in memory (a parse thread's attachment, a raw
	 * source) without a stream around them. n8n's binary helpers take a Buffer as it is; a
	 * stream costs them several times more per attachment.
	 */
	fromBuffer?: (info: AttachmentInfo, data: Buffer) => Promise<T>;
};

/** Stores in-memory bytes through the sink's Buffer path when it has one, else as a stream. */
export function storeBuffer<T>(
	sink: AttachmentSink<T>,
	info: AttachmentInfo,
	data: Buffer,
): Promise<T> {
	return sink.fromBuffer ? sink.fromBuffer(info, data) : sink(info, Readable.from([data]));
}

export interface KeptAttachment<T> {
	/** `attachment_0`, `attachment_1`, ...: the n8n binary property name. */
	binaryProperty: string;
	info: AttachmentInfo;
	stored: T;
}

export interface ParsedEmail<T = BufferedAttachment> {
	email: NormalizedEmail;
	attachments: KeptAttachment<T>[];
	/** The raw source, when it was a Buffer and either asked for or needed (parse error). */
	raw?: Buffer;
}

export interface BufferedAttachment {
	data: Buffer;
	fileName: string;
	mimeType: string;
}

export interface ParseOptions<T> {
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** Return the raw source with the result (n8n's "include raw .eml"). */
	keepRaw?: boolean;
}

/** Keeps everything in memory: for tests, previews and small messages. */
export const bufferSink: AttachmentSink<BufferedAttachment> = Object.assign(
	async (info: AttachmentInfo, content: Readable) => {
		const chunks: Buffer[] = [];
		for await (const chunk of content) chunks.push(chunk as Buffer);
		return bufferedAttachment(info, Buffer.concat(chunks));
	},
	{ fromBuffer: async (info: AttachmentInfo, data: Buffer) => bufferedAttachment(info, data) },
);

function bufferedAttachment(info: AttachmentInfo, data: Buffer): BufferedAttachment {
	return { data, fileName: info.filename, mimeType: info.contentType };
}

/** mailparser's streaming attachment object (its typings only describe the simpleParser shape). */
interface StreamedAttachment {
	type: 'attachment';
	content: Readable;
	contentType: string;
	partId: string | null;
	contentDisposition?: string;
	filename?: string;
	contentId?: string;
	related?: boolean;
	checksum?: string;
	size?: number;
	release: (() => void) | null;
}

interface StreamedText {
	type: 'text';
	text?: string;
	html?: string | false;
}

/**
 * Turns one RFC 822 source into a normalized email. Never throws for bad mail: a source
 * that cannot be parsed yields an item with `parseError` (and the raw source, when the
 * caller gave a Buffer), so one broken message cannot stop a poll.
 */
export async function parseEmail<T = BufferedAttachment>(
	source: Buffer | Readable,
	identity: EmailIdentity,
	options: ParseOptions<T>,
): Promise<ParsedEmail<T>> {
	const sink = (options.sink ?? bufferSink) as AttachmentSink<T>;
	const email = emptyEmail(identity);
	const attachments: KeptAttachment<T>[] = [];
	const raw = Buffer.isBuffer(source) ? source : undefined;

	const parser = new MailParser({
		checksumAlgo: 'sha256',
		skipImageLinks: true,
		skipTextToHtml: true,
		skipTextLinks: true,
	});
	let headerLines: HeaderLines = [];
	parser.on('headerLines', (lines: HeaderLines) => (headerLines = lines));

	parser.on('data', (data: StreamedAttachment | StreamedText) => {
		if (data.type === 'text') {
			email.text = data.text ?? '';
			email.html = typeof data.html === 'string' ? data.html : '';
			return;
		}
		const stored = storeAttachment(data, email.attachments.length, options.policy, sink)
			.then((kept) => {
				if (kept) attachments.push(kept);
			})
			.finally(() => data.release?.());
		pending.push(stored);
	});
	const pending: Promise<void>[] = [];

	try {
		if (Buffer.isBuffer(source)) await parseWhole(parser, source);
		else await pipeline(source, parser);
		await Promise.all(pending);
	} catch (error) {
		await Promise.allSettled(pending);
		return failed(`could not parse the message as MIME: ${errorMessage(error)}`);
	}

	if (!headerLines.some(isHeaderField)) {
		// mailparser accepts anything; a source without a single `Name: value` header line is
		// not an email (a truncated download, a PDF saved as .eml, a line of garbage).
		return failed(
			'not an RFC 822 message: no header field (Name: value) before the first blank line',
		);
	}

	fillHeaders(email, parser, headerLines, identity);
	capText(email, options.policy.maxTextChars);
	return { email, attachments, raw: options.keepRaw ? raw : undefined };

	function failed(reason: string): ParsedEmail<T> {
		email.parseError = reason;
		// No header was read, so `date` is the received time (or the epoch when unknown).
		email.dateFromReceived = true;
		return { email, attachments, raw };
	}

	async function storeAttachment(
		part: StreamedAttachment,
		index: number,
		policy: AttachmentPolicy,
		store: AttachmentSink<T>,
	): Promise<KeptAttachment<T> | undefined> {
		const info: AttachmentInfo = {
			id: part.partId ?? String(index + 1),
			filename: part.filename ?? defaultFilename(part.contentType, index),
			contentType: part.contentType,
			size: 0,
			inline:
				part.contentDisposition !== 'attachment' &&
				(part.contentDisposition === 'inline' || !!part.related),
			...(part.contentId ? { contentId: bareContentId(part.contentId) } : {}),
		};
		email.attachments.push(info);
		const skip = skipReasonFor(info, policy);
		if (skip) {
			info.skipped = skip;
			// A broken part is reported through `skipped`; the bytes read so far are what we know.
			info.size = (await drainPart(part.content)).bytes;
			if (part.checksum) info.sha256 = part.checksum;
			return undefined;
		}
		const binaryProperty = `attachment_${email.attachments.filter((a) => a.binaryProperty).length}`;
		info.binaryProperty = binaryProperty;
		const reading = readPart(
			part.content,
			policy.maxAttachmentBytes,
			store.fromBuffer ? IN_MEMORY_PART_BYTES : 0,
		);
		let spilled: SizeCap | undefined;
		try {
			const content = await reading.content;
			let stored: T;
			if ('data' in content) {
				stored = await storeBuffer(store, info, content.data);
			} else {
				spilled = content.stream;
				stored = await store(info, spilled);
			}
			info.size = reading.bytes;
			info.sha256 = part.checksum;
			return { binaryProperty, info, stored };
		} catch (error) {
			delete info.binaryProperty;
			const tooLarge = error instanceof AttachmentTooLargeError;
			info.skipped = tooLarge ? 'size' : 'error';
			if (spilled) part.content.unpipe(spilled);
			const { complete } = await drainPart(part.content);
			info.size = reading.bytes;
			// mailparser hashes the whole decoded part as it streams: an over-size part read to
			// its end still gets its SHA-256 (useful for threat-intel lookups without the bytes).
			if (tooLarge && complete && part.checksum) info.sha256 = part.checksum;
			return undefined;
		}
	}
}

function emptyEmail(identity: EmailIdentity): NormalizedEmail {
	const receivedAt = identity.receivedAt === undefined ? undefined : toUtcIso(identity.receivedAt);
	return {
		provider: identity.provider,
		account: identity.account,
		mailbox: identity.mailbox,
		id: identity.id,
		locator: identity.locator,
		...(identity.uid === undefined ? {} : { uid: identity.uid }),
		...(identity.uidValidity === undefined ? {} : { uidValidity: identity.uidValidity }),
		...(identity.threadId === undefined ? {} : { threadId: identity.threadId }),
		references: [],
		subject: '',
		replyTo: [],
		to: [],
		cc: [],
		bcc: [],
		date: receivedAt ?? new Date(0).toISOString(),
		...(receivedAt === undefined ? {} : { receivedAt }),
		...(identity.size === undefined ? {} : { size: identity.size }),
		flags: identity.flags ?? [],
		labels: identity.labels ?? [],
		categories: identity.categories ?? [],
		text: '',
		html: '',
		textTruncated: false,
		headers: {},
		attachments: [],
	};
}

function fillHeaders(
	email: NormalizedEmail,
	parser: MailParser,
	headerLines: HeaderLines,
	identity: EmailIdentity,
): void {
	email.headers = headerMap(headerLines);
	const headers = parser as unknown as {
		subject?: string;
		from?: AddressObject;
		to?: AddressObject | AddressObject[];
		cc?: AddressObject | AddressObject[];
		bcc?: AddressObject | AddressObject[];
		replyTo?: AddressObject;
		messageId?: string;
		inReplyTo?: string;
		references?: string | string[];
	};
	const parsedHeaders = (parser as unknown as { headers?: Map<string, unknown> }).headers;
	email.subject = headers.subject ?? '';
	email.from = normalizeAddressList(headers.from)[0];
	const sender = normalizeAddress(parsedHeaders?.get('sender') as AddressObject | undefined);
	if (sender) email.sender = sender;
	email.replyTo = normalizeAddressList(headers.replyTo);
	email.to = normalizeAddressList(headers.to);
	email.cc = normalizeAddressList(headers.cc);
	email.bcc = normalizeAddressList(headers.bcc);
	if (headers.messageId) email.messageId = headers.messageId;
	if (headers.inReplyTo) email.inReplyTo = headers.inReplyTo;
	email.references = ([] as string[]).concat(headers.references ?? []);

	const headerDate = parseHeaderDate(email.headers.date?.[0]);
	if (headerDate) {
		email.date = headerDate;
	} else {
		email.dateFromReceived = true;
		email.date = identity.receivedAt === undefined ? email.date : toUtcIso(identity.receivedAt);
	}
}

/** Raw header values by lower-case name, unfolded, in message order (EmailEngine's `headers`). */
function headerMap(lines: HeaderLines): Record<string, string[]> {
	const map: Record<string, string[]> = {};
	for (const { key, line } of lines) {
		if (!isHeaderField({ key, line })) continue;
		const colon = line.indexOf(':');
		const value = (colon < 0 ? '' : line.slice(colon + 1)).replace(/\r?\n[ \t]+/g, ' ').trim();
		(map[key] ??= []).push(value);
	}
	return map;
}

/** RFC 5322 field name (printable ASCII except colon) followed by a colon. */
function isHeaderField({ key, line }: { key: string; line: string }): boolean {
	return /^[\x21-\x39\x3b-\x7e]+$/.test(key) && /^[^:]+:/.test(line);
}

/**
 * Feeds a source already in memory straight into the parser. Same outcome as
 * `pipeline(Readable.from([source]), parser)` without a wrapper stream, an AbortController
 * and their error objects per message (measured: a few % of bulk ingest).
 */
function parseWhole(parser: MailParser, source: Buffer): Promise<void> {
	return new Promise((resolve, reject) => {
		parser.once('end', () => resolve());
		parser.once('error', reject);
		parser.end(source);
	});
}

export function capText(email: NormalizedEmail, maxChars: number): void {
	if (email.text.length > maxChars) {
		email.text = cutAt(email.text, maxChars);
		email.textTruncated = true;
	}
	if (email.html.length > maxChars) {
		email.html = cutAt(email.html, maxChars);
		email.textTruncated = true;
	}
}

/** Cuts at `max` UTF-16 units without leaving half a surrogate pair (an emoji) at the end. */
function cutAt(value: string, max: number): string {
	const code = value.charCodeAt(max - 1);
	return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** `<abc@host>` -> `abc@host`: the form HTML `cid:` links and Graph's contentId use. */
function bareContentId(value: string): string {
	return value.trim().replace(/^<(.*)>$/, '$1');
}

function defaultFilename(contentType: string, index: number): string {
	if (contentType === 'message/rfc822') return `message-${index + 1}.eml`;
	const subtype = contentType.split('/')[1]?.split(/[;+]/)[0] || 'bin';
	return `attachment-${index + 1}.${subtype}`;
}
