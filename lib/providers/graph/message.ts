import type { Readable } from 'node:stream';

import { compile } from 'html-to-text';

import { errorMessage, failureClass, isMailIntelError, MailIntelError } from '../../errors';
import {
	AttachmentPipeline,
	bufferSink,
	retryable,
	type AttachmentSink,
	type PartBytes,
} from '../../mail/attachments';
import { toUtcIso } from '../../mail/dates';
import { formatLocator } from '../../mail/locator';
import { capText, type ParsedEmail } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import type { EmailAddress, NormalizedEmail } from '../../mail/types';

/**
 * Graph message JSON -> the normalized item. We map Graph's JSON rather than parse the MIME
 * export (`/$value`): the delta page already carries these fields, so a message costs no
 * request of its own (the 4-request budget per mailbox goes to attachments), attachment ids
 * stay Graph's immutable ids (usable by action nodes), and Graph tells file, item and
 * reference attachments apart, which MIME cannot. What MIME would add (every raw header,
 * References) is in `internetMessageHeaders`, which the delta query does not return.
 */
export interface GraphRecipient {
	emailAddress?: { name?: string; address?: string };
}

export interface GraphMessage {
	id: string;
	'@removed'?: { reason: string };
	subject?: string | null;
	from?: GraphRecipient | null;
	sender?: GraphRecipient | null;
	replyTo?: GraphRecipient[];
	toRecipients?: GraphRecipient[];
	ccRecipients?: GraphRecipient[];
	bccRecipients?: GraphRecipient[];
	receivedDateTime?: string;
	sentDateTime?: string | null;
	internetMessageId?: string | null;
	conversationId?: string | null;
	body?: { contentType?: 'html' | 'text'; content?: string };
	hasAttachments?: boolean;
	isRead?: boolean;
	flag?: { flagStatus?: string };
	categories?: string[];
	parentFolderId?: string;
}

/** What a delta page must return for a message to be mapped without another request. */
export const MESSAGE_SELECT = [
	'id',
	'subject',
	'from',
	'sender',
	'replyTo',
	'toRecipients',
	'ccRecipients',
	'bccRecipients',
	'receivedDateTime',
	'sentDateTime',
	'internetMessageId',
	'conversationId',
	'body',
	'hasAttachments',
	'isRead',
	'flag',
	'categories',
	'parentFolderId',
].join(',');

export interface GraphAttachment {
	'@odata.type'?: string;
	id: string;
	name?: string | null;
	contentType?: string | null;
	size?: number;
	isInline?: boolean;
	contentId?: string | null;
}

/** How the provider reaches one attachment's bytes (`/attachments/{id}/$value`). */
export type AttachmentReader = (attachmentId: string) => Promise<Readable>;

function address(recipient: GraphRecipient | null | undefined): EmailAddress | undefined {
	const value = recipient?.emailAddress;
	if (!value?.address && !value?.name) return undefined;
	return { name: value.name ?? '', address: (value.address ?? '').toLowerCase() };
}

function addresses(list: GraphRecipient[] | undefined): EmailAddress[] {
	return (list ?? []).map(address).filter((a): a is EmailAddress => a !== undefined);
}

/**
 * `convert(html)` compiles its options (selectors, formatters) on every call: ~1 ms of CPU per
 * message, which at 100 messages a delta page held the event loop between pages while no Graph
 * request was in flight. Compiled once, as html-to-text recommends for many documents; the
 * converter keeps no state between calls.
 */
const defaultConverter = compile();

/**
 * An HTML body as text: the converter and options mailparser uses for an HTML-only MIME message
 * (html-to-text, its defaults), so `text` is the same whichever provider delivered the mail.
 * It tokenizes in one pass (htmlparser2): linear on hostile HTML, unlike tag-stripping regexes.
 */
export function htmlToText(html: string): string {
	return defaultConverter(html);
}

export function attachmentKind(
	attachment: GraphAttachment,
): 'fileAttachment' | 'itemAttachment' | 'referenceAttachment' {
	const type = (attachment['@odata.type'] ?? '').toLowerCase();
	if (type.endsWith('itemattachment')) return 'itemAttachment';
	if (type.endsWith('referenceattachment')) return 'referenceAttachment';
	return 'fileAttachment';
}

/** Item attachments come as MIME (`$value`): their name is a subject, so they get `.eml`. */
function attachmentFilename(
	attachment: GraphAttachment,
	kind: ReturnType<typeof attachmentKind>,
): string | undefined {
	const name = attachment.name;
	if (!name) return undefined;
	return kind === 'itemAttachment' && !name.toLowerCase().endsWith('.eml') ? `${name}.eml` : name;
}

export interface MapOptions<T> {
	account: string;
	mailbox: string;
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** Attachment kinds downloaded besides file attachments (`itemAttachment` as .eml). Default none. */
	extraKinds?: Array<'itemAttachment'>;
	/** Listing of the message's attachments (only called when `hasAttachments`). */
	listAttachments: () => Promise<GraphAttachment[]>;
	readAttachment: AttachmentReader;
	/**
	 * Record a transient attachment failure (a cut download, a 5xx after retries, a sink write)
	 * as `RETRIES_EXHAUSTED` instead of rejecting: set by the ingest core after N failed polls.
	 */
	recordTransientFailures?: boolean;
}

export async function mapGraphMessage<T>(
	message: GraphMessage,
	options: MapOptions<T>,
): Promise<ParsedEmail<T>> {
	// A delta page's messages are mapped all at once, and what runs here before the first await
	// holds back every request of the page. So the attachment list is asked for first and the
	// HTML body is converted last, while other messages' requests are in flight.
	const listed = message.hasAttachments ? listing(options) : undefined;
	listed?.catch(() => undefined); // awaited below; this only keeps a failure meanwhile handled
	const receivedAt = message.receivedDateTime ? toUtcIso(message.receivedDateTime) : undefined;
	const html = message.body?.contentType === 'html' ? (message.body.content ?? '') : '';
	const flags = [
		...(message.isRead ? ['\\Seen'] : []),
		...(message.flag?.flagStatus === 'flagged' ? ['\\Flagged'] : []),
	];
	const email: NormalizedEmail = {
		provider: 'graph',
		account: options.account,
		mailbox: options.mailbox,
		id: message.id,
		locator: formatLocator({
			provider: 'graph',
			account: options.account,
			mailbox: options.mailbox,
			id: message.id,
		}),
		...(message.conversationId ? { threadId: message.conversationId } : {}),
		...(message.internetMessageId ? { messageId: message.internetMessageId } : {}),
		references: [],
		subject: message.subject ?? '',
		...(address(message.from) ? { from: address(message.from) } : {}),
		...(address(message.sender) ? { sender: address(message.sender) } : {}),
		replyTo: addresses(message.replyTo),
		to: addresses(message.toRecipients),
		cc: addresses(message.ccRecipients),
		bcc: addresses(message.bccRecipients),
		date: message.sentDateTime
			? toUtcIso(message.sentDateTime)
			: (receivedAt ?? new Date(0).toISOString()),
		...(message.sentDateTime ? {} : { dateFromReceived: true }),
		...(receivedAt ? { receivedAt } : {}),
		flags,
		labels: [],
		categories: message.categories ?? [],
		text: '', // below, once the attachments are in
		html,
		textTruncated: false,
		headers: {},
		attachments: [],
	};
	const pipeline = new AttachmentPipeline<T>({
		policy: options.policy,
		sink: (options.sink ?? bufferSink) as AttachmentSink<T>,
		recordTransientFailures: options.recordTransientFailures,
	});
	email.attachments = pipeline.infos;
	if (listed)
		for (const attachment of await listed) await addAttachment(pipeline, attachment, options);
	email.text =
		message.body?.contentType === 'html' ? htmlToText(html) : (message.body?.content ?? '');
	capText(email, options.policy.maxTextChars);
	return { email, attachments: pipeline.kept };
}

async function addAttachment<T>(
	pipeline: AttachmentPipeline<T>,
	attachment: GraphAttachment,
	options: MapOptions<T>,
): Promise<void> {
	const kind = attachmentKind(attachment);
	const info = pipeline.describe({
		id: attachment.id,
		filename: attachmentFilename(attachment, kind),
		contentType:
			attachment.contentType ||
			(kind === 'itemAttachment' ? 'message/rfc822' : 'application/octet-stream'),
		inline: attachment.isInline === true,
		// Graph has no Content-Disposition; isInline is what it knows of it.
		disposition: attachment.isInline === true ? 'inline' : 'attachment',
		size: attachment.size ?? 0,
		...(attachment.contentId ? { contentId: attachment.contentId } : {}),
		kind,
	});
	const downloadable =
		kind === 'fileAttachment' ||
		(kind === 'itemAttachment' && options.extraKinds?.includes('itemAttachment'));
	const bytes: PartBytes = {
		open: () => options.readAttachment(attachment.id),
		readToEnd: false,
		streamFailure: (error) => cutDownload(info.filename, error),
		...(downloadable ? {} : { skip: 'kind' as const }),
	};
	await pipeline.add(info, bytes);
}

/** The attachment list; a transient failure of it fails the fetch as retryable. */
async function listing<T>(options: MapOptions<T>): Promise<GraphAttachment[]> {
	try {
		return await options.listAttachments();
	} catch (error) {
		if (isMailIntelError(error) && failureClass(error) === 'transient') throw retryable(error);
		throw error;
	}
}

/** A download that failed after it started: the transport's failure, retried next poll. */
function cutDownload(filename: string, error: unknown): MailIntelError {
	return new MailIntelError(
		`The download of attachment "${filename}" failed: ${errorMessage(error)}`,
		{ source: 'graph', code: 'DOWNLOAD_INTERRUPTED', retryable: true, cause: error },
	);
}
