import { MailParser, type HeaderLines } from 'mailparser';

type HeaderLine = HeaderLines[number];

import { parseAddressList, type ParsedAddressEntry } from './address-list';
import { holdsStandIn, shieldLiteralLessThan, unshield } from './html-text';
import { limitNesting, MAX_MIME_DEPTH, type NestingLimit } from './mime-depth';

/**
 * mailparser's MailParser with two costs taken out that hostile mail multiplies (measured with
 * `node --cpu-prof` on the `pathological` benchmark's inputs; everything else is mailparser's),
 * and one bound added:
 *
 * - Address headers: mailparser renders every address list as HTML (`he`-escaped) and as text
 *   the moment it reads the header, for the one case that uses them (the From/To/... lines it
 *   prints for an embedded message/rfc822). On a To of 100,000 recipients that rendering and its
 *   garbage were a third of the parse. Here they are computed when first read, and the list is
 *   parsed by parseAddressList (a linear fast path for bare addr-specs, else addressparser).
 * - One event-loop turn per MIME chunk instead of two: mailparser's processChunk already
 *   defers its callback with setImmediate, and readData deferred again. With 10,000 parts that
 *   is 30,000 extra turns.
 * - The text of an HTML body: html-to-text's cost per literal `<` (html-text.ts) taken out by
 *   converting the HTML with those `<` swapped for a stand-in, same text.
 * - A nesting-depth limit (mime-depth.ts, the same one the walker applies): parts nested deeper
 *   than MAX_MIME_DEPTH are not read, where mailparser's cost grows with the square of the depth
 *   and its recursive text assembly overflows the stack from ~3,500 levels.
 *
 * Everything the overrides touch is mailparser 3.9's own (pinned in package.json); the
 * pathological and parse tests exercise each path.
 */

/** The header keys mailparser parses as address lists (mail-parser.js processHeaders). */
const ADDRESS_KEYS = new Set([
	'from',
	'to',
	'cc',
	'bcc',
	'sender',
	'reply-to',
	'delivered-to',
	'return-path',
	'disposition-notification-to',
]);
/** Of those, the ones where mailparser keeps only the last occurrence. */
const SINGLE_KEYS = new Set(['from', 'sender', 'reply-to', 'disposition-notification-to']);

/** The parts of MailParser's untyped internals used here. */
interface MailParserInternals {
	libmime: { decodeHeader(line: string): { value?: unknown } | undefined };
	hasFailed: boolean;
	reading: boolean;
	endReceived: boolean;
	waitingEnd: ((error?: Error) => void) | false;
	splitter: { read(): unknown };
	options: { skipHtmlToText?: boolean; skipTextToHtml?: boolean };
	tree: TextNode | false;
	text: string | false;
	getTextContent(): TextContent;
	processHeaders(lines: HeaderLines | undefined): Map<string, unknown>;
	createNode(node: unknown): TreeNode;
	processChunk(data: unknown, done: (error?: Error) => void): void;
	endStream(): void;
	decodeAddresses(list: ParsedAddressEntry[]): void;
	getAddressesHTML(list: ParsedAddressEntry[]): string;
	getAddressesText(list: ParsedAddressEntry[]): string;
}

/** A node of mailparser's tree (mail-parser.js createNode), as far as it is pruned here. */
interface TreeNode {
	decoder?: NodeJS.ReadableStream;
}

/** A node of mailparser's tree as its text assembly (getTextContent) reads it. */
interface TextNode {
	contentType: string | false;
	textContent?: string;
	children?: TextNode[];
}

/** What mailparser's getTextContent returns (and emits as the `text` data item). */
interface TextContent {
	type: 'text';
	text?: string;
	html?: string;
	textAsHtml?: string;
}

const base = MailParser.prototype as unknown as MailParserInternals;

/** An address header as mailparser stores it, `{value, html, text}`, with html/text rendered on first read. */
interface AddressHeader {
	value: ParsedAddressEntry[];
	readonly html: string;
	readonly text: string;
}

/** Stands in for mailparser's `attachmentList`: only simpleParser's image inlining reads it. */
const NOT_KEPT = { push: () => 0, length: 0 };

export class LeanMailParser extends MailParser {
	/** Whether parts nested deeper than `maxMimeDepth` were left unread (mime-depth.ts). */
	readonly nesting: NestingLimit;

	constructor(options: ConstructorParameters<typeof MailParser>[0] & { maxMimeDepth?: number }) {
		super(options);
		(this as unknown as { attachmentList: unknown }).attachmentList = NOT_KEPT;
		const { splitter } = this as unknown as MailParserInternals;
		this.nesting = limitNesting(splitter, options.maxMimeDepth ?? MAX_MIME_DEPTH);
	}

	/**
	 * mailparser keeps every node of the tree to the end of the parse (it builds `text` and
	 * `html` from it). A part's decoder stream, and through its listeners the hash stream and the
	 * attachment object, are let go once the part ended: measured, the peak heap of a 10,000-part
	 * message falls from ~200 MB to ~145 MB. Every later use of the decoder is guarded by
	 * `curnode.decoder &&` (mail-parser.js processChunk, cleanup, endStream).
	 */
	createNode(node: unknown): TreeNode {
		const created = base.createNode.call(this, node);
		created.decoder?.once('end', () => delete created.decoder);
		return created;
	}

	processHeaders(lines: HeaderLines | undefined): Map<string, unknown> {
		const self = this as unknown as MailParserInternals;
		const addressLines: HeaderLine[] = [];
		const otherLines: HeaderLine[] = [];
		for (const line of lines ?? [])
			(ADDRESS_KEYS.has(line.key) ? addressLines : otherLines).push(line);
		const headers = base.processHeaders.call(this, otherLines);
		const values = new Map<string, AddressHeader[]>();
		for (const { key, line } of addressLines) {
			// What mailparser does before addressparser: decode, trim, reread the bytes as UTF-8.
			const decoded = String(self.libmime.decodeHeader(line)?.value ?? '').trim();
			const list = parseAddressList(Buffer.from(decoded, 'binary').toString());
			self.decodeAddresses(list);
			let occurrences = values.get(key);
			if (!occurrences) values.set(key, (occurrences = []));
			occurrences.push(addressHeader(self, list));
		}
		for (const [key, occurrences] of values) {
			headers.set(
				key,
				SINGLE_KEYS.has(key) || occurrences.length === 1
					? occurrences[occurrences.length - 1]
					: occurrences,
			);
		}
		return headers;
	}

	/**
	 * mailparser's text and HTML, with each HTML body that holds a literal `<` converted with
	 * those swapped for a stand-in (html-text.ts). Two passes of mailparser's own assembly: one
	 * converts the swapped bodies (its `text`, the stand-ins put back), one reads the bodies as
	 * they are without converting them (its `html`, and a `text` that tells whether anything
	 * else, a text part or a printed header, holds the stand-in: then the plain way). The second
	 * pass converts nothing and `textToHtml` is off (the parse options), so it costs a walk of
	 * the tree.
	 */
	getTextContent(): TextContent {
		const self = this as unknown as MailParserInternals;
		const plain = () => base.getTextContent.call(this);
		if (!self.tree || !self.options.skipTextToHtml) return plain();
		/** Each HTML body to convert swapped: the node, its body, the body swapped. */
		const swaps: Array<[TextNode, string, string]> = [];
		const pending: TextNode[] = [self.tree];
		for (let node = pending.pop(); node; node = pending.pop()) {
			for (const child of node.children ?? []) pending.push(child);
			if (node.contentType !== 'text/html' || !node.textContent) continue;
			if (holdsStandIn(node.textContent)) return plain();
			const shielded = shieldLiteralLessThan(node.textContent);
			if (shielded !== undefined) swaps.push([node, node.textContent, shielded]);
		}
		if (!swaps.length) return plain();

		let converted: TextContent;
		try {
			for (const [node, , shielded] of swaps) node.textContent = shielded;
			converted = plain();
		} finally {
			for (const [node, original] of swaps) node.textContent = original;
		}
		const options = self.options;
		self.options = { ...options, skipHtmlToText: true };
		let markup: TextContent;
		try {
			markup = plain();
		} finally {
			self.options = options;
		}
		if (holdsStandIn(markup.text)) return plain();
		if (converted.text === undefined) return markup;
		const text = unshield(converted.text);
		self.text = text;
		return { ...markup, text };
	}

	readData(): unknown {
		const self = this as unknown as MailParserInternals;
		if (self.hasFailed) return false;
		self.reading = true;
		const data = self.splitter.read();
		if (data === null) {
			self.reading = false;
			if (self.endReceived) self.endStream();
			return undefined;
		}
		let synchronous = true;
		self.processChunk(data, (error) => {
			if (error) {
				if (typeof self.waitingEnd === 'function') return self.waitingEnd(error);
				return this.emit('error', error);
			}
			// processChunk calls back from a later turn (setImmediate, a drain, a released
			// attachment), so this is a fresh stack; a synchronous call-back would not be.
			if (synchronous) setImmediate(() => this.readData());
			else this.readData();
		});
		synchronous = false;
		return undefined;
	}
}

function addressHeader(parser: MailParserInternals, value: ParsedAddressEntry[]): AddressHeader {
	let html: string | undefined;
	let text: string | undefined;
	return {
		value,
		get html() {
			return (html ??= parser.getAddressesHTML(value));
		},
		get text() {
			return (text ??= parser.getAddressesText(value));
		},
	};
}
