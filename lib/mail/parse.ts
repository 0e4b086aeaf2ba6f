import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { AddressObject, HeaderLines, MailParser } from 'mailparser';

import { errorMessage, isMailIntelError, MailIntelError } from '../errors';
import {
	AttachmentPipeline,
	bufferSink,
	retryable,
	type AttachmentSink,
	type BufferedAttachment,
	type KeptAttachment,
	type PartBytes,
	type PartDescription,
} from './attachments';
import { normalizeAddress, normalizeAddressList } from './addresses';
import { parseHeaderDate, toUtcIso } from './dates';
import { LeanMailParser } from './mail-parser';
import { MAX_MIME_DEPTH, nestingLimitMessage } from './mime-depth';
import { walkMime, type RootFields } from './mime-walker';
import type { AttachmentPolicy } from './policy';
import type { NormalizedEmail } from './types';

export { AttachmentTooLargeError, SizeCap } from './part-reader';
export {
	bufferSink,
	storeBuffer,
	type AttachmentSink,
	type BufferedAttachment,
	type KeptAttachment,
} from './attachments';

/**
 * mailsplit's own limits (1 MB of header per part, 1,000 parts) turn legal mail into a parse
 * error: RFC 5322 sets no header size, and a To of 100,000 recipients (2 MB) or a report with
 * 10,000 parts are real. Raised, but not removed, because memory grows with them: measured,
 * ~7 KB of heap per part (mailparser's node objects; the walker needs about half: peak 115 vs
 * 60 MB for 16,000 parts), and ~60x the header's bytes for an address list (100,000
 * addresses: +124 MB). So at most ~115 MB for the parts and ~250 MB for a header;
 * beyond that the message is a parseError item (raw source kept), never an exhausted heap.
 * Parsing is linear in both (the benchmark `pathological` measures the time per MB).
 */
const MAX_HEADER_BYTES = 4 * 1024 * 1024;
const MAX_PARTS = 16_384;

/** mailparser's options, the same for the walker and the streaming parser. */
const PARSER_OPTIONS = {
	checksumAlgo: 'sha256',
	skipImageLinks: true,
	skipTextToHtml: true,
	skipTextLinks: true,
	maxHeadSize: MAX_HEADER_BYTES,
	maxChildNodes: MAX_PARTS,
	maxMimeDepth: MAX_MIME_DEPTH,
} as ConstructorParameters<typeof MailParser>[0] & { checksumAlgo: string; maxMimeDepth: number };

/**
 * Sources in memory up to this size are parsed by the walker (mime-walker.ts), which gathers
 * each part before decoding it, so its memory grows with the source; larger ones stream
 * through LeanMailParser. The IMAP fetch streams messages above the same size.
 */
export const WALK_MAX_BYTES = 4 * 1024 * 1024;

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

export interface ParsedEmail<T = BufferedAttachment> {
	email: NormalizedEmail;
	attachments: KeptAttachment<T>[];
	/** The raw source, when it was a Buffer and either asked for or needed (parse error). */
	raw?: Buffer;
}

export interface ParseOptions<T> {
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** Return the raw source with the result (n8n's "include raw .eml"). */
	keepRaw?: boolean;
	/**
	 * Record a transient attachment failure (a sink write) on the part as `RETRIES_EXHAUSTED`
	 * instead of rejecting: the ingest core sets it after a message failed on N polls in a row.
	 */
	recordTransientFailures?: boolean;
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
	/** The part's own header fields, parsed (`content-type` -> {value, params}). */
	headers?: Map<string, unknown>;
	release: (() => void) | null;
}

interface StreamedText {
	type: 'text';
	text?: string;
	html?: string | false;
}

/**
 * Turns one RFC 822 source into a normalized email. Bad mail never throws: a source that
 * cannot be parsed yields an item with `parseError` (and the raw source, when the caller gave
 * a Buffer), so one broken message cannot stop a poll. What is not the message's fault
 * rejects with a retryable MailIntelError, so the message is fetched again: a source stream
 * that fails or ends early (`SOURCE_INTERRUPTED`: an IMAP download cut mid-transfer) and a
 * transient attachment failure (see attachments.ts).
 */
export async function parseEmail<T = BufferedAttachment>(
	source: Buffer | Readable,
	identity: EmailIdentity,
	options: ParseOptions<T>,
): Promise<ParsedEmail<T>> {
	const email = emptyEmail(identity);
	const attachments = new AttachmentPipeline<T>({
		policy: options.policy,
		sink: (options.sink ?? bufferSink) as AttachmentSink<T>,
		recordTransientFailures: options.recordTransientFailures,
	});
	email.attachments = attachments.infos;
	const raw = Buffer.isBuffer(source) ? source : undefined;

	/** Every part's outcome, looked at once the parse ended. */
	const pending: Promise<void>[] = [];
	const addPart = (part: PartDescription, bytes: PartBytes): Promise<void> => {
		const done = attachments.add(attachments.describe(part), bytes);
		pending.push(done);
		// Looked at once the parse ended (allSettled below); until then it must not count as
		// unhandled, and the reader waiting on the part only needs to know it settled.
		return done.catch(ignore);
	};
	const read =
		raw && raw.length <= WALK_MAX_BYTES
			? await readWalked(raw, attachments, addPart)
			: await readStreamed(source, attachments, addPart);
	// A transient failure of one part fails the fetch (after every part settled, so no
	// stream is left half-read); the first one is reported.
	const outcomes = await Promise.allSettled(pending);
	if ('failure' in read) {
		if (read.interrupted) throw read.interrupted;
		return failed(`could not parse the message as MIME: ${errorMessage(read.failure)}`);
	}
	for (const outcome of outcomes)
		if (outcome.status === 'rejected') throw transient(outcome.reason);

	if (!read.headerLines.some(isHeaderField)) {
		// mailparser accepts anything; a source without a single `Name: value` header line is
		// not an email (a truncated download, a PDF saved as .eml, a line of garbage).
		return failed(
			'not an RFC 822 message: no header field (Name: value) before the first blank line',
		);
	}

	fillHeaders(email, read.fields, read.headerLines, identity);
	email.text = read.text ?? '';
	email.html = read.html ?? '';
	capText(email, options.policy.maxTextChars);
	// Nested past the limit: an item with what was read above it, flagged like a message that
	// could not be parsed, with its raw source (the part that was not read is only there).
	if (read.tooDeep) email.parseError = nestingLimitMessage(PARSER_OPTIONS.maxMimeDepth);
	const keepRaw = options.keepRaw || read.tooDeep;
	return { email, attachments: attachments.kept, raw: keepRaw ? raw : undefined };

	function failed(reason: string): ParsedEmail<T> {
		email.parseError = reason;
		// No header was read, so `date` is the received time (or the epoch when unknown).
		email.dateFromReceived = true;
		return { email, attachments: attachments.kept, raw };
	}
}

const ignore = (): void => undefined;

/**
 * Lists a part and keeps or skips it; resolves when it settled, never rejects (its outcome is
 * looked at once the parse ended; see AttachmentPipeline.add).
 */
type AddPart = (part: PartDescription, bytes: PartBytes) => Promise<void>;

/** What a MIME reader found: the root's headers and the bodies, or why the source is not MIME. */
type MimeRead =
	| {
			headerLines: HeaderLines;
			fields: RootFields;
			text?: string;
			html?: string;
			/** Parts nested deeper than MAX_MIME_DEPTH were not read. */
			tooDeep: boolean;
	  }
	/** `interrupted`: the source stream failed (transient), rethrown once every part settled. */
	| { failure: unknown; interrupted?: MailIntelError };

/**
 * A source already in memory, through the walker (mime-walker.ts): the same result as
 * LeanMailParser without a stream chain per part. Parts go to the pipeline one at a time,
 * in message order, as mailparser hands them over.
 */
async function readWalked<T>(
	source: Buffer,
	attachments: AttachmentPipeline<T>,
	addPart: AddPart,
): Promise<MimeRead> {
	try {
		return await walkMime(source, PARSER_OPTIONS, (part) => {
			const description = describePart(part, attachments.infos.length);
			return addPart(description, {
				open: () => Readable.from([part.data]),
				decoded: { data: part.data, checksum: part.checksum },
				readToEnd: true,
				checksum: () => part.checksum,
				streamFailure: (error) => undecodable(description.id, error),
			});
		});
	} catch (error) {
		return { failure: error };
	}
}

/**
 * A stream, or a source too large to gather part by part: through LeanMailParser, which
 * streams every part to the pipeline. Rejects only when the source itself failed
 * (SOURCE_INTERRUPTED, transient); bad mail is a `failure`.
 */
async function readStreamed<T>(
	source: Buffer | Readable,
	attachments: AttachmentPipeline<T>,
	addPart: AddPart,
): Promise<MimeRead> {
	const parser = new LeanMailParser(PARSER_OPTIONS);
	let headerLines: HeaderLines = [];
	parser.on('headerLines', (lines: HeaderLines) => (headerLines = lines));
	let text: string | undefined;
	let html: string | undefined;

	// The source failing is told apart from the parser failing: only the first is transient.
	const cut = Buffer.isBuffer(source) ? undefined : watchSource(source, parser);
	/** Part streams still being read: a cut source would otherwise leave them waiting forever. */
	const open = new Set<Readable>();
	parser.on('data', (data: StreamedAttachment | StreamedText) => {
		if (data.type === 'text') {
			text = data.text ?? '';
			html = typeof data.html === 'string' ? data.html : '';
			return;
		}
		open.add(data.content);
		const description = describePart(data, attachments.infos.length);
		void addPart(description, {
			open: () => data.content,
			readToEnd: true,
			checksum: () => data.checksum,
			streamFailure: (error) => cut?.error() ?? undecodable(description.id, error),
		}).finally(() => {
			open.delete(data.content);
			data.release?.();
		});
	});

	try {
		if (Buffer.isBuffer(source)) await parseWhole(parser, source);
		else await pipeline(source, parser);
	} catch (error) {
		const interrupted = cut?.error();
		for (const part of open) part.destroy(interrupted ?? undecodable('?', error));
		return { failure: error, interrupted };
	}
	return {
		headerLines,
		fields: parser as unknown as RootFields,
		text,
		html,
		tooDeep: parser.nesting.exceeded,
	};
}

/**
 * The part as its own headers declare it. mailparser relabels `application/octet-stream` by
 * the file name (`evil.exe.pdf` becomes `application/pdf`): the declared type is read from the
 * part's Content-Type header instead. A leaf part without one is `text/plain` (RFC 2045 §5.1).
 */
function describePart(
	part: Pick<
		StreamedAttachment,
		'partId' | 'filename' | 'contentDisposition' | 'contentId' | 'related' | 'headers'
	>,
	index: number,
): PartDescription {
	const declared = headerValue(part.headers, 'content-type') ?? 'text/plain';
	const disposition = headerValue(part.headers, 'content-disposition')?.toLowerCase();
	return {
		id: part.partId ?? String(index + 1),
		filename: part.filename,
		contentType: declared,
		...(disposition === 'attachment' || disposition === 'inline' ? { disposition } : {}),
		inline:
			part.contentDisposition !== 'attachment' &&
			(part.contentDisposition === 'inline' || !!part.related),
		...(part.contentId ? { contentId: bareContentId(part.contentId) } : {}),
	};
}

/** A structured header's value (`{value, params}` in mailparser), or a plain string one. */
function headerValue(headers: Map<string, unknown> | undefined, name: string): string | undefined {
	const field = headers?.get(name);
	const value = typeof field === 'string' ? field : (field as { value?: unknown })?.value;
	return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function undecodable(partId: string, error: unknown): MailIntelError {
	return new MailIntelError(`MIME part ${partId} could not be decoded: ${errorMessage(error)}`, {
		source: 'mail',
		code: 'MIME_DECODE',
		cause: error,
	});
}

/** A rejected part as the fetch's error: retryable, whatever threw it. */
function transient(error: unknown): MailIntelError {
	if (isMailIntelError(error)) return retryable(error);
	return new MailIntelError(errorMessage(error), { source: 'mail', retryable: true, cause: error });
}

/**
 * Notices a source stream that errors or closes before its end while the parser is still
 * healthy: that is the transport's failure (a download cut mid-transfer), not bad mail.
 */
function watchSource(
	source: Readable,
	parser: MailParser,
): { error(): MailIntelError | undefined } {
	let parserFailed = false;
	let ended = false;
	let interrupted: MailIntelError | undefined;
	const interrupt = (cause?: unknown) => {
		if (parserFailed || ended || interrupted) return;
		interrupted = new MailIntelError(
			`The message source was interrupted before its end${cause ? `: ${errorMessage(cause)}` : ''}`,
			{
				source: 'mail',
				code: 'SOURCE_INTERRUPTED',
				retryable: true,
				hint: 'The download failed mid-transfer; the message is fetched again on the next poll.',
				cause,
			},
		);
	};
	parser.once('error', () => {
		if (!interrupted) parserFailed = true;
	});
	source.once('end', () => (ended = true));
	source.once('error', interrupt);
	source.once('close', () => interrupt());
	return { error: () => interrupted };
}

/** An item with nothing read yet: what the provider knows (the start of every parse, and of a failed item). */
export function emptyEmail(identity: EmailIdentity): NormalizedEmail {
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
	fields: RootFields,
	headerLines: HeaderLines,
	identity: EmailIdentity,
): void {
	email.headers = headerMap(headerLines);
	const headers = fields as {
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
	const parsedHeaders = fields.headers;
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
