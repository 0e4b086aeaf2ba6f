import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';

import { toUtcIso } from '../../mail/dates';
import { formatLocator } from '../../mail/locator';
import {
	AttachmentTooLargeError,
	SizeCap,
	bufferSink,
	capText,
	type AttachmentSink,
	type KeptAttachment,
	type ParsedEmail,
} from '../../mail/parse';
import { skipReasonFor, type AttachmentPolicy } from '../../mail/policy';
import type { AttachmentInfo, EmailAddress, NormalizedEmail } from '../../mail/types';

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

/** A plain-text rendering of an HTML body, good enough for matching and previews. */
export function htmlToText(html: string): string {
	return html
		.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
		.replace(/<br\s*\/?>|<\/(p|div|li|tr|h[1-6])>/gi, '\n')
		.replace(/<[^>]+>/g, '')
		.replace(/&nbsp;/g, ' ')
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&#39;/g, "'")
		.replace(/&amp;/g, '&')
		.replace(/[ \t]+\n/g, '\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
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
	index: number,
): string {
	const name = attachment.name || `attachment-${index + 1}`;
	return kind === 'itemAttachment' && !/\.eml$/i.test(name) ? `${name}.eml` : name;
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
}

export async function mapGraphMessage<T>(
	message: GraphMessage,
	options: MapOptions<T>,
): Promise<ParsedEmail<T>> {
	const receivedAt = message.receivedDateTime ? toUtcIso(message.receivedDateTime) : undefined;
	const html = message.body?.contentType === 'html' ? (message.body.content ?? '') : '';
	const text =
		message.body?.contentType === 'html' ? htmlToText(html) : (message.body?.content ?? '');
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
		text,
		html,
		textTruncated: false,
		headers: {},
		attachments: [],
	};
	capText(email, options.policy.maxTextChars);
	const attachments: KeptAttachment<T>[] = [];
	if (message.hasAttachments) {
		const listed = await options.listAttachments();
		for (const attachment of listed) {
			const kept = await keepAttachment(email, attachment, options, attachments.length);
			if (kept) attachments.push(kept);
		}
	}
	return { email, attachments };
}

async function keepAttachment<T>(
	email: NormalizedEmail,
	attachment: GraphAttachment,
	options: MapOptions<T>,
	keptSoFar: number,
): Promise<KeptAttachment<T> | undefined> {
	const kind = attachmentKind(attachment);
	const info: AttachmentInfo = {
		id: attachment.id,
		filename: attachmentFilename(attachment, kind, email.attachments.length),
		contentType:
			attachment.contentType ||
			(kind === 'itemAttachment' ? 'message/rfc822' : 'application/octet-stream'),
		size: attachment.size ?? 0,
		inline: attachment.isInline === true,
		...(attachment.contentId ? { contentId: attachment.contentId } : {}),
		kind,
	};
	email.attachments.push(info);
	const downloadable =
		kind === 'fileAttachment' ||
		(kind === 'itemAttachment' && options.extraKinds?.includes('itemAttachment'));
	const skip = downloadable ? skipReasonFor(info, options.policy) : 'kind';
	if (skip) {
		info.skipped = skip;
		return undefined;
	}
	const sink = (options.sink ?? bufferSink) as AttachmentSink<T>;
	const binaryProperty = `attachment_${keptSoFar}`;
	info.binaryProperty = binaryProperty;
	let source: Readable | undefined;
	const cap = new SizeCap(options.policy.maxAttachmentBytes);
	const hash = createHash('sha256');
	try {
		source = await options.readAttachment(attachment.id);
		const tee = new PassThrough();
		source.on('error', (error) => cap.destroy(error));
		cap.on('data', (chunk: Buffer) => hash.update(chunk));
		source.pipe(cap).pipe(tee);
		cap.on('error', (error) => tee.destroy(error));
		const stored = await sink(info, tee);
		info.size = cap.bytes;
		info.sha256 = hash.digest('hex');
		return { binaryProperty, info, stored };
	} catch (error) {
		delete info.binaryProperty;
		info.skipped =
			error instanceof AttachmentTooLargeError ||
			(error as Error)?.name === 'AttachmentTooLargeError'
				? 'size'
				: 'error';
		source?.destroy();
		return undefined;
	}
}
