import * as crypto from 'node:crypto';

import { Splitter, type MimeNode, type SplitterChunk } from '@zone-eu/mailsplit';
import type { HeaderLines, MailParser } from 'mailparser';

import { LeanMailParser } from './mail-parser';
import { limitNesting, MAX_MIME_DEPTH } from './mime-depth';
import { decodeText, decodeTransfer } from './part-body';
import { useNodeHeaders } from './node-headers';
import { splitWhole } from './split-whole';

/**
 * Parses a message that is already in memory without mailparser's per-part machinery. Hostile
 * mail with 10,000 parts or 1,000 levels spent most of its parse there: per part a decoder
 * stream, a hash stream, an attachment object with its own stream, events and an event-loop
 * turn (measured with `node --cpu-prof`; mailsplit's splitting is a small share of it).
 *
 * The walker reads the nodes and bodies of mailsplit's splitter (the one mailparser itself uses,
 * with the same limits), driven over the Buffer without its stream (split-whole.ts) and with a
 * leaner header parse per node (node-headers.ts), gathers each leaf's raw body, decodes it in one call (part-body.ts) and builds
 * mailparser's tree; header fields are parsed by LeanMailParser's processHeaders and the text
 * and HTML bodies by mailparser's own getTextContent on that tree. What comes out is what
 * LeanMailParser emits for the same source: test/lib/mail/mime-walker.test.ts compares the
 * whole items on the fixture corpus and the scaled hostile shapes.
 *
 * Only for sources in memory: a leaf's body is gathered before it is decoded, so memory grows
 * with the source (parse.ts walks sources up to WALK_MAX_BYTES; larger ones and streams go
 * through LeanMailParser, which streams every part).
 */

/** An attachment leaf, decoded: the fields of mailparser's attachment object parse.ts reads. */
export interface WalkedPart {
	partId: string | null;
	filename?: string;
	contentDisposition?: string;
	contentId?: string;
	related?: boolean;
	/** The part's own header fields as mailparser parses them (`content-type` -> {value, params}). */
	headers: Map<string, unknown>;
	/** The decoded content. */
	data: Buffer;
	/** Hex digest of `data` with the configured algorithm (mailparser's `checksum`). */
	checksum: string;
}

/** The root's header fields as mailparser sets them on itself (parse.ts fillHeaders reads these). */
export interface RootFields {
	headers?: Map<string, unknown>;
	subject?: unknown;
	references?: unknown;
	date?: unknown;
	to?: unknown;
	from?: unknown;
	cc?: unknown;
	bcc?: unknown;
	messageId?: unknown;
	inReplyTo?: unknown;
	replyTo?: unknown;
}

export interface WalkedMessage {
	headerLines: HeaderLines;
	fields: RootFields;
	/** mailparser's `text` and `html` (absent when the message has none). */
	text?: string;
	html?: string;
	/** Parts nested deeper than `maxMimeDepth` were not read (mime-depth.ts). */
	tooDeep: boolean;
}

type ParserOptions = ConstructorParameters<typeof MailParser>[0] & {
	checksumAlgo: string;
	maxHeadSize?: number;
	maxChildNodes?: number;
	/** See mime-depth.ts; MAX_MIME_DEPTH when unset. */
	maxMimeDepth?: number;
};

/** The types mailparser reads as text when inline (its `textTypes`, keepDeliveryStatus unset). */
const TEXT_TYPES = ['text/plain', 'text/html', 'message/delivery-status'];
/** Root headers mailparser copies onto itself (mail-parser.js processChunk). */
const ROOT_KEYS: Array<[string, Exclude<keyof RootFields, 'headers'>]> = [
	['subject', 'subject'],
	['references', 'references'],
	['date', 'date'],
	['to', 'to'],
	['from', 'from'],
	['cc', 'cc'],
	['bcc', 'bcc'],
	['message-id', 'messageId'],
	['in-reply-to', 'inReplyTo'],
	['reply-to', 'replyTo'],
];

/** A node of mailparser's tree (mail-parser.js createNode), the fields getTextContent reads. */
interface TreeNode {
	node: MimeNode;
	headers: Map<string, unknown>;
	contentType: string | false;
	children: TreeNode[];
	parent?: TreeNode;
	root?: boolean;
	showMeta?: boolean;
	textContent?: string;
	/** Walker's own: an ancestor is multipart/related (mailparser walks the parents per part). */
	inRelated: boolean;
	/** Walker's own: the leaf whose raw body is being gathered. */
	leaf?: Leaf;
}

interface Leaf {
	kind: 'attachment' | 'text';
	chunks: Buffer[];
	bytes: number;
	partId: string | null;
}

/** The parts of mailparser used to parse headers and to assemble text and HTML. */
interface Helper {
	processHeaders(lines: HeaderLines): Map<string, unknown>;
	getTextContent(): { text?: string; html?: string };
	tree: TreeNode | false;
	hasHtml: boolean;
	hasText: boolean;
	on(event: 'error', listener: (error: Error) => void): void;
}

/**
 * Splits and decodes `source`. Once the whole source is split, `onPart` is called for each
 * attachment leaf in message order, one at a time (the next waits until the promise it returned
 * settles, as mailparser waits for each attachment); it must not reject. Rejects with the
 * splitter's or mailparser's error when the source is not parsable; no part is handed over
 * then, so a message that becomes a parseError item stores nothing (mailparser hands over the
 * parts it reached before its splitter failed: a number that depends on timing).
 */
export async function walkMime(
	source: Buffer,
	options: ParserOptions,
	onPart: (part: WalkedPart) => Promise<void>,
): Promise<WalkedMessage> {
	const helper = new LeanMailParser(options) as unknown as Helper;
	let helperError: Error | undefined;
	helper.on('error', (error) => (helperError ??= error));

	const message: WalkedMessage = { headerLines: [], fields: {}, tooDeep: false };
	let tree: TreeNode | undefined;
	let current: TreeNode | undefined;
	/** Attachment leaves, decoded: at most about the source's size (parse.ts walks ≤ 4 MB). */
	const parts: Array<WalkedPart | undefined> = [];

	const close = (tnode: TreeNode | undefined) => {
		const leaf = tnode?.leaf;
		if (!tnode || !leaf) return;
		delete tnode.leaf;
		const raw = leaf.chunks.length === 1 ? leaf.chunks[0] : Buffer.concat(leaf.chunks, leaf.bytes);
		const data = decodeTransfer(raw, tnode.node.encoding);
		if (leaf.kind === 'text') {
			tnode.textContent = decodeText(data, tnode.node);
			return;
		}
		parts.push(attachmentOf(tnode, leaf.partId, data, options.checksumAlgo));
	};

	/**
	 * `listed`: whether the node goes into its parent's children. An attachment leaf is not
	 * listed (its `parent` is still set, for placing the nodes after it): getTextContent takes
	 * nothing from it, and unlisted, its mailsplit node and header block are garbage as soon as
	 * the next part starts, not held in the tree until the whole message is split (on 10,000
	 * parts, that young garbage is much cheaper to collect).
	 */
	const place = (created: TreeNode, node: MimeNode, listed: boolean): void => {
		// mailparser's createNode, step by step: the tree it builds decides the text order.
		if (!tree) {
			created.root = true;
			tree = current = created;
			return;
		}
		const at = current!;
		let parent: TreeNode | undefined;
		if (!at.parent) parent = at;
		else if (at.parent.node === node.parentNode) parent = at.parent;
		else if (at.node === node.parentNode) parent = at;
		else
			for (let up: TreeNode | undefined = at.parent; up && !parent; up = up.parent)
				if (up.node === node.parentNode) parent = up;
		if (parent) {
			created.parent = parent;
			created.inRelated = parent.inRelated || parent.contentType === 'multipart/related';
			if (listed) parent.children.push(created);
		}
		current = created;
	};

	const onNode = (node: MimeNode) => {
		close(current);
		let contentType = node.contentType;
		if (!contentType && node.root) contentType = 'text/plain';
		const type = String(contentType);
		const multipart = /^multipart\//i.test(type);
		const container = node.contentType === 'message/rfc822' && node.messageNode;
		// mailparser prints From/To/Subject/Date of an embedded message's root into the text.
		const showMeta =
			!container && !!node.parentNode && node.parentNode.contentType === 'message/rfc822';
		const leafKind = multipart || container ? undefined : kindOf(type, node.disposition);
		const headerBlock = node.headers as unknown as { getList(): HeaderLines; lines: HeaderLines };
		const lines = headerBlock.getList();
		const created: TreeNode = {
			node,
			headers:
				node.root || showMeta
					? helper.processHeaders(lines)
					: leafKind === 'attachment'
						? partHeaders(node, lines, helper)
						: NO_HEADERS,
			contentType,
			children: [],
			inRelated: false,
		};
		place(created, node, showMeta || leafKind !== 'attachment');
		if (node.root) {
			message.fields.headers = created.headers;
			message.headerLines = headerBlock.lines;
		}
		if (created === tree)
			for (const [key, field] of ROOT_KEYS)
				if (created.headers.has(key)) message.fields[field] = created.headers.get(key);
		if (showMeta) created.showMeta = true;
		if (!leafKind) return;
		if (leafKind === 'text') {
			if (type === 'text/html') helper.hasHtml = true;
			else helper.hasText = true;
		}
		created.leaf = { kind: leafKind, chunks: [], bytes: 0, partId: partIdOf(node) };
	};

	const splitter = new Splitter(options);
	useNodeHeaders(splitter);
	const nesting = limitNesting(splitter, options.maxMimeDepth ?? MAX_MIME_DEPTH);
	const onChunk = (chunk: SplitterChunk) => {
		if (chunk.type === 'node') return onNode(chunk);
		const leaf = current?.leaf;
		if (chunk.type === 'data') {
			// A delimiter line ends the leaf being read (mailparser ends its decoder here).
			close(current);
		} else if (leaf) {
			leaf.chunks.push(chunk.value);
			leaf.bytes += chunk.value.length;
		}
	};
	// Synchronous, without the splitter's stream (split-whole.ts); a throw fails this parse
	// (the item gets a parseError).
	await splitWhole(splitter, source, onChunk);
	close(current);
	for (let at = 0; at < parts.length; at++) {
		const part = parts[at]!;
		// Let each part's bytes go once the sink has them.
		parts[at] = undefined;
		await onPart(part);
	}

	message.tooDeep = nesting.exceeded;
	helper.tree = tree ?? false;
	const content = helper.getTextContent();
	if (helperError) throw helperError;
	if (content.text !== undefined) message.text = content.text;
	if (content.html !== undefined) message.html = content.html;
	return message;
}

/**
 * What mailparser makes of a leaf (createNode): inline text when its type is a text type and
 * its disposition inline or none, else an attachment (an unknown disposition counts as one).
 */
function kindOf(type: string, disposition: string | false): Leaf['kind'] {
	if (!TEXT_TYPES.includes(type)) return 'attachment';
	return !disposition || disposition === 'inline' ? 'text' : 'attachment';
}

/**
 * Header fields nobody reads: a text leaf's or a multipart's (mailparser's text assembly reads
 * only the root's and an embedded message's). Never written to.
 */
const NO_HEADERS: Map<string, unknown> = new Map();

/** The header fields parse.ts reads of an attachment (describePart): its type, disposition and Content-ID. */
const PART_KEYS = new Set(['content-type', 'content-disposition', 'content-id']);

/**
 * An attachment's Content-Type, Content-Disposition and Content-ID as mailparser's
 * processHeaders gives them. mailsplit has already parsed the type and disposition with the
 * same libmime call; mailparser parses them again, then decodes encoded words, and keeps the
 * last of repeated fields where mailsplit keeps the first. Where those steps cannot change
 * anything (one field of each, printable ASCII, no encoded word `=?`, no RFC 2231 `*`
 * continuation) mailsplit's result is taken; otherwise the fields go through processHeaders.
 * On 10,000 parts that second parse was a third of the walk.
 */
function partHeaders(node: MimeNode, lines: HeaderLines, helper: Helper): Map<string, unknown> {
	const wanted = lines.filter((line) => PART_KEYS.has(line.key));
	let types = 0;
	let dispositions = 0;
	for (const line of wanted) {
		if (line.key === 'content-type') types++;
		else if (line.key === 'content-disposition') dispositions++;
		if (line.key !== 'content-id' && !plainField(line.line)) return helper.processHeaders(wanted);
	}
	if (types > 1 || dispositions > 1) return helper.processHeaders(wanted);
	const ids = wanted.filter((line) => line.key === 'content-id');
	const headers = ids.length ? helper.processHeaders(ids) : new Map<string, unknown>();
	const parsed = node as unknown as {
		_parsedContentType: unknown;
		_parsedContentDisposition: unknown;
	};
	if (types) headers.set('content-type', parsed._parsedContentType);
	if (dispositions) headers.set('content-disposition', parsed._parsedContentDisposition);
	return headers;
}

/** Printable ASCII, tabs and line breaks only, without `=?` (encoded word) or `*` (RFC 2231). */
function plainField(line: string): boolean {
	for (let at = 0; at < line.length; at++) {
		const code = line.charCodeAt(at);
		if (code === 0x2a) return false;
		if (code === 0x3d && line.charCodeAt(at + 1) === 0x3f) return false;
		if ((code < 0x20 || code > 0x7e) && code !== 0x09 && code !== 0x0a && code !== 0x0d)
			return false;
	}
	return true;
}

/** mailparser's partId: mailsplit's IMAP-style number without its TEXT markers. */
function partIdOf(node: MimeNode): string | null {
	if (!node._parentBoundary) return null;
	return (node.partNr || []).filter((nr) => typeof nr === 'number').join('.') || null;
}

function attachmentOf(
	tnode: TreeNode,
	partId: string | null,
	data: Buffer,
	algorithm: string,
): WalkedPart {
	const { node, headers } = tnode;
	const part: WalkedPart = {
		partId,
		headers,
		data,
		checksum: digestHex(algorithm, data),
	};
	if (node.disposition) part.contentDisposition = node.disposition;
	if (node.filename) part.filename = node.filename;
	if (headers.has('content-id')) {
		part.contentId = ([] as unknown[]).concat(headers.get('content-id') ?? []).shift() as string;
		if (tnode.inRelated) part.related = true;
	}
	return part;
}

/** Node's one-shot `crypto.hash` (Node 20.12+; no Hash object per part), else createHash. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: 'hex') => string })
	.hash;
function digestHex(algorithm: string, data: Buffer): string {
	return oneShot
		? oneShot(algorithm, data, 'hex')
		: crypto.createHash(algorithm).update(data).digest('hex');
}
