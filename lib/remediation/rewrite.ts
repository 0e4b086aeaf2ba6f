import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';

import { Headers, Joiner, Rewriter, Splitter, type MimeNode } from '@zone-eu/mailsplit';

import { MailIntelError } from '../errors';
import { BANNER_HEADER, PLACEHOLDER_DESCRIPTION, REWRITE_OF_HEADER } from './markers';
import { BODY_TAG_WINDOW, bannerOffset, BANNER_MARKER, TEXT_BANNER_FIRST_LINE } from './banner';

/**
 * The rewrite of a message for the providers that cannot edit one in place (IMAP APPEND, Gmail
 * messages.insert): the original message in, the remediated message out, as streams. mailsplit
 * (the splitter mailparser itself uses, so part numbers match `AttachmentInfo.id`) cuts the
 * source into header blocks and body chunks; removed parts are replaced by a small text part
 * naming them, and their bytes are dropped as they pass; the first text/html and text/plain body
 * parts get the banner; the top header block gets the X-headers, the subject tag and the
 * markers. Every original header line is kept as it was. Memory stays bounded by the largest
 * header block and mailsplit's chunk size, whatever the size of the parts removed.
 */

export interface RemovedPart {
	filename: string;
	contentType: string;
}

export interface RewriteSpec {
	/** MIME part path -> what it was (for the placeholder text). */
	remove: Map<string, RemovedPart>;
	/** Headers set on the message (an existing one of the same name is replaced). */
	headers: Array<[string, string]>;
	/** Put in front of the subject (the original subject line is kept after it). */
	subjectTag?: string;
	htmlBanner?: string;
	textBanner?: string;
	/** REWRITE_OF_HEADER's value. */
	rewriteOf: string;
}

/** What the rewrite did, known once the output stream has ended. */
export interface RewriteOutcome {
	removed: string[];
	htmlBanner: boolean;
	textBanner: boolean;
}

function partId(node: MimeNode): string {
	return (node.partNr || []).filter((nr) => typeof nr === 'number').join('.');
}

/** `=?UTF-8?B?...?=` when the text is not plain ASCII (RFC 2047), else the text itself. */
function encodedWord(text: string): string {
	return /^[\x20-\x7e]*$/.test(text)
		? text
		: `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function base64Lines(text: string): Buffer {
	const encoded = Buffer.from(text, 'utf8').toString('base64');
	return Buffer.from(`${encoded.replace(/.{1,76}/g, '$&\r\n')}`);
}

function isAttachment(node: MimeNode): boolean {
	return node.disposition === 'attachment' || (!!node.filename && node.disposition !== 'inline');
}

export function rewriteMessage(
	source: Readable,
	spec: RewriteSpec,
): { stream: Readable; outcome: RewriteOutcome } {
	const outcome: RewriteOutcome = { removed: [], htmlBanner: false, textBanner: false };
	const dropped = new Set<MimeNode>();
	const placeholders = new Set<MimeNode>();
	const insideDropped = (node: MimeNode | false): boolean => {
		for (
			let current: MimeNode | false = node;
			current;
			current = current.parentNode as MimeNode | false
		)
			if (dropped.has(current)) return true;
		return false;
	};

	const strip = new Transform({
		objectMode: true,
		transform(
			chunk: { type: string; node?: MimeNode; value?: Buffer } & Partial<MimeNode>,
			_encoding: BufferEncoding,
			callback: TransformCallback,
		) {
			if (chunk.type !== 'node') {
				// Body or multipart data of a removed part (or of anything inside it): dropped as it passes.
				if (chunk.node && insideDropped(chunk.node)) return callback();
				return callback(null, chunk);
			}
			const node = chunk as unknown as MimeNode;
			if (insideDropped(node.parentNode)) return callback();
			if (node.root) editRootHeaders(node, spec);
			const removal = node.root ? undefined : spec.remove.get(partId(node));
			if (!removal) return callback(null, node);
			dropped.add(node);
			placeholders.add(node);
			outcome.removed.push(partId(node));
			const headers = node.headers as Headers;
			for (const line of [...headers.getList()]) headers.remove(line.key);
			headers.add('Content-Type', 'text/plain; charset=utf-8');
			headers.add('Content-Transfer-Encoding', 'base64');
			headers.add('Content-Disposition', 'inline');
			headers.add('Content-Description', PLACEHOLDER_DESCRIPTION);
			this.push(node);
			this.push({
				node,
				type: 'body',
				value: base64Lines(
					`This attachment was removed for security review: ${removal.filename} (${removal.contentType}).\r\nIf you need it, contact your security team.\r\n`,
				),
			});
			callback();
		},
	});

	let htmlDone = false;
	let textDone = false;
	const rewriter = new Rewriter((node: MimeNode) => {
		if (placeholders.has(node) || isAttachment(node) || node.multipart) return false;
		if (node.contentType === 'text/html' && spec.htmlBanner && !htmlDone) return (htmlDone = true);
		if (node.contentType === 'text/plain' && spec.textBanner && !textDone) return (textDone = true);
		return false;
	});
	rewriter.on(
		'node',
		({
			node,
			decoder,
			encoder,
		}: {
			node: MimeNode;
			decoder: Readable;
			encoder: NodeJS.WritableStream;
		}) => {
			const html = node.contentType === 'text/html';
			const insert = html
				? new HtmlBannerInserter(spec.htmlBanner as string, () => (outcome.htmlBanner = true))
				: new TextBannerInserter(
						textBannerFor(node, spec.textBanner as string),
						() => (outcome.textBanner = true),
					);
			decoder.pipe(insert).pipe(encoder as NodeJS.WritableStream & Transform);
		},
	);

	const joiner = new Joiner();
	pipeline(source, new Splitter(), strip, rewriter, joiner, (error) => {
		if (error && !joiner.destroyed) joiner.destroy(asRewriteError(error));
	});
	return { stream: joiner as unknown as Readable, outcome };
}

function asRewriteError(error: unknown): MailIntelError {
	if (error instanceof MailIntelError) return error;
	return new MailIntelError(`the message could not be rewritten: ${(error as Error).message}`, {
		source: 'mail',
		code: 'REWRITE_FAILED',
		retryable: true,
		cause: error,
	});
}

function editRootHeaders(node: MimeNode, spec: RewriteSpec): void {
	const headers = node.headers as Headers;
	for (const [name, value] of spec.headers) headers.update(name, value);
	headers.update(REWRITE_OF_HEADER, spec.rewriteOf);
	if (spec.htmlBanner || spec.textBanner) headers.update(BANNER_HEADER, 'added');
	if (spec.subjectTag) {
		// The original Subject line stays byte for byte after the tag: its encoded words, its charset.
		const line = headers.getList().find((entry) => entry.key === 'subject');
		const raw = line ? line.line.toString().replace(/^[^:]*:\s*/, '') : '';
		const tag = encodedWord(spec.subjectTag);
		if (line) headers.remove('Subject');
		headers.addFormatted('subject', `Subject: ${tag}${raw ? ` ${raw}` : ''}`);
	}
}

/**
 * A text part in a charset that cannot carry the banner's characters gets them as `?`: the part
 * keeps its charset and its bytes, and the banner stays readable.
 */
function textBannerFor(node: MimeNode, banner: string): Buffer {
	const charset = (node.charset || 'us-ascii').toLowerCase();
	if (/^(utf-?8|us-ascii|ascii)$/.test(charset)) {
		if (charset !== 'utf-8' && !/^[\x00-\x7f]*$/.test(banner)) node.setCharset('utf-8');
		return Buffer.from(banner, 'utf8');
	}
	return Buffer.from(banner.replace(/[^\x00-\x7f]/g, '?'), 'latin1');
}

/**
 * Puts the banner after `<body ...>` (or at the start when the first BODY_TAG_WINDOW bytes have
 * none), unless the banner is there already. Holds at most that window; the rest streams through.
 * Works on bytes as latin1, so any ASCII-compatible charset passes unchanged.
 */
class HtmlBannerInserter extends Transform {
	private head: Buffer[] = [];
	private headBytes = 0;
	private done = false;

	constructor(
		private readonly banner: string,
		private readonly onAdded: () => void,
	) {
		super();
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		if (this.done) return callback(null, chunk);
		this.head.push(chunk);
		this.headBytes += chunk.length;
		if (this.headBytes >= BODY_TAG_WINDOW) this.release();
		callback();
	}

	override _flush(callback: TransformCallback): void {
		if (!this.done) this.release();
		callback();
	}

	private release(): void {
		this.done = true;
		const head = Buffer.concat(this.head).toString('latin1');
		this.head = [];
		if (head.includes(`${BANNER_MARKER}="1"`)) {
			this.push(Buffer.from(head, 'latin1'));
			return;
		}
		const at = bannerOffset(head);
		this.push(Buffer.from(head.slice(0, at) + this.banner + head.slice(at), 'latin1'));
		this.onAdded();
	}
}

/** Puts the text banner in front of a text body, unless it starts with one already. */
class TextBannerInserter extends Transform {
	private first = true;

	constructor(
		private readonly banner: Buffer,
		private readonly onAdded: () => void,
	) {
		super();
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		if (this.first) {
			this.first = false;
			if (!chunk.toString('latin1').trimStart().startsWith(TEXT_BANNER_FIRST_LINE)) {
				this.push(this.banner);
				this.onAdded();
			}
		}
		callback(null, chunk);
	}

	override _flush(callback: TransformCallback): void {
		// An empty text body still gets the banner.
		if (this.first) {
			this.push(this.banner);
			this.onAdded();
		}
		callback();
	}
}
