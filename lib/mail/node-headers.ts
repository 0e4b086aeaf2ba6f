import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * mailsplit's MimeNode.parseHeaders (5.4) with the same results and less work per part, for the
 * walker's splitter (split-whole.ts installs it on every node of that splitter only).
 *
 * On a message of 10,000 small parts the original was the largest cost of the split (measured
 * with `node --cpu-prof`): each of its three `headers.getFirst()` calls scans the lines, copies
 * the value through a Buffer to re-read it as UTF-8 and runs libmime's decodeHeader regexes, and
 * libmime's decodeWords runs five regexes on the disposition and the filename. Here the lines
 * are scanned once, and those steps are skipped only where they provably return their input:
 * - `_decodeHeaderValue` (binary -> UTF-8) is the identity on an ASCII line;
 * - decodeHeader's unfolding does nothing on a line without CR or LF, so the value is what
 *   follows the first colon, trimmed (its regex `^\s*([^:]+):(.*)$` on the trimmed line);
 * - decodeWords changes nothing in a string without `=?` (each of its patterns needs one).
 * - libmime's parseHeaderValue walks a structured value character by character, building its
 *   strings one character at a time (the largest allocator of the whole parse); a value of the
 *   plain form `token; key=token; key="quoted"` is read in one pass (simpleStructured below).
 * Anything else (RFC 2231 continuations, escapes, spaces or non-ASCII outside quotes) goes
 * through the original calls.
 * test/lib/mail/mime-walker.test.ts compares the walker's items with stock mailparser's.
 */

const fromMailsplit = createRequire(require.resolve('@zone-eu/mailsplit'));
const Headers = fromMailsplit('./lib/headers') as new (
	source: Buffer,
	config: unknown,
) => HeaderBlock;
const libmime = fromMailsplit('libmime') as { detectMimeType(extension: string): string };

interface HeaderLine {
	key: string;
	line: string;
}

interface HeaderBlock {
	getList(): HeaderLine[];
	_decodeHeaderValue(line: string): string;
}

interface Structured {
	value: string | false;
	params: Record<string, string>;
}

interface NodeLibmime {
	parseHeaderValue(value: string): Structured;
	decodeHeader(line: string): { value?: unknown } | undefined;
	decodeWords(value: string): string;
}

/** The fields of mailsplit's MimeNode that parseHeaders reads and sets. */
export interface SplitNode {
	headers: HeaderBlock | false;
	_headersLines: Buffer[];
	_headerlen: number;
	config: unknown;
	libmime: NodeLibmime;
	parentNode: SplitNode | false;
	_parsedContentType: Structured | false;
	_parsedContentDisposition: Structured | false;
	_boundary: Buffer | false;
	encoding: string | false;
	contentType: string | false;
	charset: string | false;
	disposition: string | false;
	filename: string | false;
	flowed: boolean;
	delSp: boolean;
	multipart: string | false;
	rfc822: boolean;
	partNr: Array<number | string> | false;
	getPartNr(provided?: string): Array<number | string>;
	parseHeaders(): void;
}

/** ASCII without CR and LF: a line the shortcuts above apply to. */
const PLAIN_LINE = /^[\x00-\x09\x0b\x0c\x0e-\x7f]*$/;

/** Printable ASCII but `"`, `;` and `\\`: a character of an unquoted value. */
function plainValueChar(code: number): boolean {
	return code > 0x20 && code < 0x7f && code !== 0x22 && code !== 0x3b && code !== 0x5c;
}

/**
 * libmime's parseHeaderValue for `value(; key=value | ; key="quoted")*` where values and keys
 * are printable ASCII without `"`, `;`, `\` (keys also without `=` and `*`: no RFC 2231
 * continuation), at most spaces or tabs after each `;`, and quoted values without `\`: the
 * main value as it is, each key lower-cased, quotes removed, a repeated key's last value.
 * `undefined` for anything else (the caller then runs libmime's own parser).
 */
export function simpleStructured(input: string): Structured | undefined {
	const length = input.length;
	let at = 0;
	while (at < length && plainValueChar(input.charCodeAt(at))) at++;
	const result: Structured = { value: input.slice(0, at), params: {} };
	while (at < length) {
		if (input.charCodeAt(at) !== 0x3b) return undefined;
		at++;
		while (at < length && (input.charCodeAt(at) === 0x20 || input.charCodeAt(at) === 0x09)) at++;
		if (at === length) break;
		const keyStart = at;
		for (let code = input.charCodeAt(at); at < length; code = input.charCodeAt(++at))
			if (!plainValueChar(code) || code === 0x3d || code === 0x2a) break;
		if (at === keyStart || input.charCodeAt(at) !== 0x3d) return undefined;
		const key = input.slice(keyStart, at).toLowerCase();
		if (key === '__proto__') return undefined;
		at++;
		let value: string;
		if (input.charCodeAt(at) === 0x22) {
			const close = input.indexOf('"', at + 1);
			if (close < 0) return undefined;
			value = input.slice(at + 1, close);
			if (value.includes('\\')) return undefined;
			at = close + 1;
		} else {
			const valueStart = at;
			while (at < length && plainValueChar(input.charCodeAt(at))) at++;
			value = input.slice(valueStart, at);
		}
		result.params[key] = value;
	}
	return result;
}

/** libmime's parseHeaderValue, through simpleStructured when the value has the plain form. */
function structured(value: string, lib: NodeLibmime): Structured {
	return simpleStructured(value) ?? lib.parseHeaderValue(value);
}

/** `headers.getFirst(key)` of mailsplit for a line already found (`''` when there is none). */
function fieldValue(found: HeaderLine | undefined, block: HeaderBlock, lib: NodeLibmime): string {
	if (!found) return '';
	const line = found.line;
	if (PLAIN_LINE.test(line)) {
		const trimmed = line.trim();
		const colon = trimmed.indexOf(':');
		return colon > 0 ? trimmed.slice(colon + 1).trim() : '';
	}
	const decoded = lib.decodeHeader(block._decodeHeaderValue(line));
	return String(decoded?.value || '').trim();
}

/** libmime's decodeWords, skipped where it cannot change anything. */
function decodeWords(value: string, lib: NodeLibmime): string {
	return value.includes('=?') ? lib.decodeWords(value) : value;
}

/**
 * mailsplit's stripComments: everything from the first `(` to the last `)` of each line
 * removed (linear; the value of Content-Transfer-Encoding).
 */
function stripComments(value: string): string {
	if (!value.includes('(')) return value;
	return value
		.split(/([\n\r\u2028\u2029])/)
		.map((part) => {
			const start = part.indexOf('(');
			if (start < 0) return part;
			const end = part.lastIndexOf(')');
			return end > start ? part.slice(0, start) + part.slice(end + 1) : part;
		})
		.join('');
}

/** Installed as `node.parseHeaders` (called with the node as `this`, like the original). */
export function parseNodeHeaders(this: SplitNode): void {
	if (this.headers) return;
	const block = new Headers(Buffer.concat(this._headersLines, this._headerlen), this.config);
	this.headers = block;
	const lib = this.libmime;

	let typeLine: HeaderLine | undefined;
	let dispositionLine: HeaderLine | undefined;
	let encodingLine: HeaderLine | undefined;
	for (const line of block.getList()) {
		if (line.key === 'content-type') typeLine ??= line;
		else if (line.key === 'content-disposition') dispositionLine ??= line;
		else if (line.key === 'content-transfer-encoding') encodingLine ??= line;
	}

	const disposition = structured(fieldValue(dispositionLine, block, lib), lib);
	this._parsedContentDisposition = disposition;

	// No Content-Type: guessed from the filename's extension, else by the disposition.
	let contentHeader: string | undefined;
	if (typeLine) contentHeader = fieldValue(typeLine, block, lib);
	else {
		if (disposition.params.filename) {
			const extension = path.parse(disposition.params.filename).ext.replace(/^\./, '');
			if (extension) contentHeader = libmime.detectMimeType(extension);
		}
		if (!contentHeader)
			contentHeader = /^attachment$/i.test(String(disposition.value))
				? 'application/octet-stream'
				: 'text/plain';
	}
	const type = structured(contentHeader, lib);
	this._parsedContentType = type;

	this.encoding = stripComments(fieldValue(encodingLine, block, lib))
		.toLowerCase()
		.trim();
	this.contentType = (type.value || '').toLowerCase().trim() || false;
	this.charset = type.params.charset || false;
	this.disposition = (disposition.value || '').toLowerCase().trim() || false;
	if (this.disposition) {
		try {
			this.disposition = decodeWords(this.disposition, lib);
		} catch {
			// An unknown charset: kept as it is, as mailsplit does.
		}
	}
	this.filename = disposition.params.filename || type.params.name || false;
	if (type.params.format && type.params.format.toLowerCase().trim() === 'flowed') {
		this.flowed = true;
		if (type.params.delsp && type.params.delsp.toLowerCase().trim() === 'yes') this.delSp = true;
	}
	if (this.filename) {
		try {
			this.filename = decodeWords(this.filename, lib);
		} catch {
			// As above.
		}
	}
	const slash = this.contentType ? this.contentType.indexOf('/') : -1;
	this.multipart =
		(this.contentType &&
			this.contentType.substr(0, slash) === 'multipart' &&
			this.contentType.substr(slash + 1)) ||
		false;
	this._boundary = (type.params.boundary && Buffer.from(type.params.boundary)) || false;
	this.rfc822 = this.contentType === 'message/rfc822';
	const parent = this.parentNode;
	if (!parent || parent.rfc822) this.partNr = parent ? parent.getPartNr('TEXT') : ['TEXT'];
	else this.partNr = parent.getPartNr();
}

/**
 * Makes every node of one mailsplit splitter parse its headers with parseNodeHeaders. Call it
 * before other hooks on the same splitter (mime-depth.ts's limit wraps the node's parseHeaders
 * that is in place when the node is created).
 */
export function useNodeHeaders(splitter: unknown): void {
	const internals = splitter as {
		node: SplitNode;
		newNode(parent?: SplitNode | false): void;
	};
	internals.node.parseHeaders = parseNodeHeaders;
	const newNode = internals.newNode;
	internals.newNode = function (this: typeof internals, parent) {
		newNode.call(this, parent);
		this.node.parseHeaders = parseNodeHeaders;
	};
}
