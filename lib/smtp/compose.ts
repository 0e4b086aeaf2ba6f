import type { Readable } from 'node:stream';

import type Mail from 'nodemailer/lib/mailer';

import { MailIntelError } from '../errors';
import type { ParsedLocator } from '../mail/locator';
import type { EmailAddress } from '../mail/types';
import { lazyStream } from './lazy-stream';

/**
 * What a sent message is made of, and how a reply or forward is derived from the message it
 * answers (RFC 5322 §3.6.4 threading, RFC 5322 §3.6.5 subject convention).
 */
export type SendAction = 'send' | 'reply' | 'replyAll' | 'forward';

export interface OutgoingAttachment {
	filename: string;
	/** Declared Content-Type; nodemailer guesses from the name when absent. */
	contentType?: string;
	/**
	 * Opened only when the message is built, so many attachments never hold many streams (or IMAP
	 * locks) at once. A Buffer is for bytes that are in memory anyway.
	 */
	open: () => Promise<Readable | Buffer>;
}

/** The message a reply/forward refers to: a normalized email item, or one loaded by locator. */
export interface ReferenceMessage {
	/** Where it lives, when it can be flagged (`\Answered`, `$Forwarded`) afterwards. */
	ref?: ParsedLocator;
	messageId?: string;
	references: string[];
	subject: string;
	from?: EmailAddress;
	replyTo: EmailAddress[];
	to: EmailAddress[];
	cc: EmailAddress[];
	/** ISO-8601 */
	date?: string;
	text: string;
	html: string;
	/** What a forward carries along. */
	attachments: OutgoingAttachment[];
}

export interface ComposeInput {
	action: SendAction;
	from: EmailAddress;
	to: string[];
	cc: string[];
	bcc: string[];
	replyTo?: string[];
	/** For reply/forward: empty means derived from the reference (`Re: ...`, `Fwd: ...`). */
	subject: string;
	text?: string;
	html?: string;
	attachments: OutgoingAttachment[];
	reference?: ReferenceMessage;
	/** Addresses that are the sender's own: never reply-all recipients. */
	self: string[];
	/** Quote the original below a reply (text and HTML). Default true. */
	quoteOriginal?: boolean;
	/** Forward the original's attachments. Default true. */
	forwardAttachments?: boolean;
}

export interface ComposedMessage {
	mail: Mail.Options;
	/** SMTP envelope: the From address, and every To/Cc/Bcc address (Bcc never in the headers). */
	envelope: { from: string; to: string[] };
}

/** Keeps the References header bounded: the thread root and the newest ids (RFC 5322 §3.6.4). */
const MAX_REFERENCES = 30;

const REPLY_PREFIX = /^\s*re\s*(\[\d+\])?\s*:/i;
const FORWARD_PREFIX = /^\s*(fwd?|fw)\s*:/i;

/** `Re: subject`, unless the subject already is a reply (no `Re: Re:`). */
export function replySubject(subject: string): string {
	const trimmed = subject.trim();
	return REPLY_PREFIX.test(trimmed) ? trimmed : `Re: ${trimmed}`.trimEnd();
}

/** `Fwd: subject`, unless the subject already is a forward. */
export function forwardSubject(subject: string): string {
	const trimmed = subject.trim();
	return FORWARD_PREFIX.test(trimmed) ? trimmed : `Fwd: ${trimmed}`.trimEnd();
}

/** The original's References plus its Message-ID, de-duplicated and bounded. */
export function threadReferences(reference: ReferenceMessage): string[] {
	const ids = [...reference.references, ...(reference.messageId ? [reference.messageId] : [])]
		.map(angle)
		.filter((id, index, all) => id !== '<>' && all.indexOf(id) === index);
	return ids.length <= MAX_REFERENCES
		? ids
		: [ids[0], ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
}

/**
 * Reply: Reply-To, else From. Reply-all: that, plus the original To and Cc in Cc; the sender's
 * own addresses are left out, and nobody is named twice. A reply to one's own message goes to
 * its original recipients.
 */
export function replyRecipients(
	reference: ReferenceMessage,
	all: boolean,
	self: string[],
): { to: EmailAddress[]; cc: EmailAddress[] } {
	const mine = new Set(self.map(lower));
	const seen = new Set<string>();
	const keep = (list: EmailAddress[]) =>
		list.filter((entry) => {
			const key = lower(entry.address);
			if (!key || mine.has(key) || seen.has(key)) return false;
			seen.add(key);
			return true;
		});
	const author = reference.replyTo.length
		? reference.replyTo
		: reference.from
			? [reference.from]
			: [];
	let to = keep(author);
	if (to.length === 0) to = keep(reference.to);
	const cc = all ? keep([...reference.to, ...reference.cc]) : [];
	return { to, cc };
}

export function composeMessage(input: ComposeInput): ComposedMessage {
	const { action, reference } = input;
	if (action !== 'send' && !reference)
		throw new MailIntelError(`a ${action} needs the original message`, {
			source: 'config',
			code: 'REFERENCE_MISSING',
			field: 'originalMessage',
			hint: 'Set Original Message to the locator of the message (e.g. {{ $json.locator }} from an Email Intel trigger).',
		});
	let to = input.to.map((value) => parseAddress(value, 'to'));
	let cc = input.cc.map((value) => parseAddress(value, 'cc'));
	const bcc = input.bcc.map((value) => parseAddress(value, 'bcc'));
	const replyTo = (input.replyTo ?? []).map((value) => parseAddress(value, 'replyTo'));
	let subject = input.subject.trim();
	let text = input.text ?? '';
	let html = input.html ?? '';
	const attachments = [...input.attachments];
	const headers: Mail.Options = {};

	if (reference && action !== 'send') {
		if (action === 'reply' || action === 'replyAll') {
			const derived = replyRecipients(reference, action === 'replyAll', input.self);
			to = merge(derived.to, to);
			cc = merge(derived.cc, cc).filter(
				(entry) => !to.some((t) => lower(t.address) === lower(entry.address)),
			);
			subject = subject || replySubject(reference.subject);
			if (input.quoteOriginal !== false) ({ text, html } = quoteReply(reference, text, html));
		} else {
			subject = subject || forwardSubject(reference.subject);
			({ text, html } = forwardBody(reference, text, html));
			if (input.forwardAttachments !== false) attachments.push(...reference.attachments);
		}
		const references = threadReferences(reference);
		if (reference.messageId) headers.inReplyTo = angle(reference.messageId);
		if (references.length) headers.references = references;
	}
	const recipients = [...to, ...cc, ...bcc].map((entry) => entry.address);
	if (recipients.length === 0)
		throw new MailIntelError('the message has no recipient', {
			source: 'config',
			code: 'NO_RECIPIENT',
			field: 'to',
			hint: 'Fill in To (or Cc/Bcc); a reply takes its recipients from the original message.',
		});
	return {
		mail: {
			from: input.from,
			to,
			...(cc.length ? { cc } : {}),
			// Bcc goes into the envelope only: the built message must not reveal it
			...(replyTo.length ? { replyTo } : {}),
			subject,
			...(text ? { text } : {}),
			...(html ? { html } : {}),
			...headers,
			attachments: attachments.map((attachment) => ({
				filename: attachment.filename,
				...(attachment.contentType ? { contentType: attachment.contentType } : {}),
				content: lazyStream(attachment.open),
			})),
		},
		envelope: { from: input.from.address, to: unique(recipients) },
	};
}

function quoteReply(reference: ReferenceMessage, text: string, html: string) {
	const intro = `On ${reference.date ?? 'an earlier date'}, ${formatAddress(reference.from)} wrote:`;
	const quotedText = reference.text
		.replace(/\r\n?/g, '\n')
		.split('\n')
		.map((line) => `> ${line}`)
		.join('\n');
	return {
		text: `${text}\n\n${intro}\n${quotedText}\n`,
		html: html
			? `${html}<br>\n<div>${escapeHtml(intro)}</div>\n<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${reference.html || escapeHtml(reference.text).replace(/\n/g, '<br>\n')}</blockquote>`
			: '',
	};
}

function forwardBody(reference: ReferenceMessage, text: string, html: string) {
	const lines = [
		'---------- Forwarded message ---------',
		`From: ${formatAddress(reference.from)}`,
		...(reference.date ? [`Date: ${reference.date}`] : []),
		`Subject: ${reference.subject}`,
		...(reference.to.length ? [`To: ${reference.to.map(formatAddress).join(', ')}`] : []),
		...(reference.cc.length ? [`Cc: ${reference.cc.map(formatAddress).join(', ')}`] : []),
	];
	return {
		text: `${text}\n\n${lines.join('\n')}\n\n${reference.text}`,
		html: html
			? `${html}<br>\n<div>${lines.map(escapeHtml).join('<br>\n')}</div><br>\n${reference.html || escapeHtml(reference.text).replace(/\n/g, '<br>\n')}`
			: '',
	};
}

/** `Name <a@b>` or `a@b` as the user typed it. */
export function parseAddress(value: string, field = 'to'): EmailAddress {
	const trimmed = value.trim();
	const match = /^(.*)<([^<>]+)>$/.exec(trimmed);
	const address = (match ? match[2] : trimmed).trim();
	if (!/^[^\s@<>,;]+@[^\s@<>,;]+$/.test(address))
		throw new MailIntelError(`"${trimmed}" is not an email address`, {
			source: 'config',
			code: 'INVALID_ADDRESS',
			field,
			hint: 'Write addresses as a@example.com or Name <a@example.com>, separated by commas.',
		});
	return { name: match ? match[1].trim().replace(/^"(.*)"$/, '$1') : '', address };
}

/** Splits a comma/semicolon separated list, keeping quoted display names with commas intact. */
export function splitAddressList(value: string): string[] {
	const result: string[] = [];
	let current = '';
	let quoted = false;
	for (const char of value) {
		if (char === '"') quoted = !quoted;
		if (!quoted && (char === ',' || char === ';' || char === '\n')) {
			if (current.trim()) result.push(current.trim());
			current = '';
		} else current += char;
	}
	if (current.trim()) result.push(current.trim());
	return result;
}

function merge(first: EmailAddress[], second: EmailAddress[]): EmailAddress[] {
	const seen = new Set(first.map((entry) => lower(entry.address)));
	return [...first, ...second.filter((entry) => !seen.has(lower(entry.address)))];
}

function unique(addresses: string[]): string[] {
	const seen = new Set<string>();
	return addresses.filter((address) => {
		const key = lower(address);
		if (seen.has(key)) return false;
		seen.add(key);
		return true;
	});
}

function angle(id: string): string {
	const trimmed = id.trim().replace(/^<|>$/g, '');
	return `<${trimmed}>`;
}

function lower(address: string): string {
	return address.trim().toLowerCase();
}

function formatAddress(address: EmailAddress | undefined): string {
	if (!address) return 'unknown sender';
	return address.name ? `${address.name} <${address.address}>` : address.address;
}

function escapeHtml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
