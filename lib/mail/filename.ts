/**
 * The one attachment filename sanitizer. A sender picks the name, so it is hostile input: a
 * path (`../../etc/passwd.csv`, `..\..\win.ini`), control characters and NUL, and bidi
 * overrides that make `invoice\u202Efdp.exe` display as `invoiceexe.pdf`. Every producer
 * (MIME parse, Graph) and the n8n binary sink run names through here, so every consumer
 * (binary data, OpenCTI, filename filters, scanners) sees the same safe name.
 *
 * One pass over the code points: linear in the name's length, whatever the name holds.
 */

/** Most file systems (ext4, NTFS, APFS) cap a name at 255 bytes (UTF-8 for the Unix ones). */
export const MAX_FILENAME_BYTES = 255;

/** An extension longer than this is not kept whole when a name is cut to MAX_FILENAME_BYTES. */
const MAX_EXTENSION_BYTES = 32;

/**
 * Characters removed: C0/C1 controls and NUL, DEL, and the bidi controls that reorder what a
 * user sees (LRE..RLO U+202A-202E, LRI..PDI U+2066-2069, LRM/RLM U+200E/F, ALM U+061C).
 */
function isRemoved(code: number): boolean {
	return (
		code <= 0x1f ||
		(code >= 0x7f && code <= 0x9f) ||
		(code >= 0x202a && code <= 0x202e) ||
		(code >= 0x2066 && code <= 0x2069) ||
		code === 0x200e ||
		code === 0x200f ||
		code === 0x061c
	);
}

/** Extensions for the declared types mail most often carries; others use the subtype. */
const EXTENSIONS: Record<string, string> = {
	'application/pdf': 'pdf',
	'text/plain': 'txt',
	'text/csv': 'csv',
	'text/html': 'html',
	'message/rfc822': 'eml',
	'application/octet-stream': 'bin',
	'application/zip': 'zip',
	'image/jpeg': 'jpg',
	'image/svg+xml': 'svg',
};

/** `attachment-3.pdf`: the name of a part that has none (or nothing safe was left of it). */
export function fallbackFilename(contentType: string, index: number): string {
	const type = contentType.toLowerCase();
	const subtype = (type.split('/')[1] ?? '').split(/[;+]/)[0].replace(/[^a-z0-9-]/g, '');
	const extension = EXTENSIONS[type] ?? (subtype.slice(0, MAX_EXTENSION_BYTES) || 'bin');
	const stem = type === 'message/rfc822' ? 'message' : 'attachment';
	return `${stem}-${index + 1}.${extension}`;
}

/**
 * The safe form of a sender's filename: its last path segment (`/` and `\` both separate),
 * without control and bidi characters, without leading/trailing dots and spaces, at most 255
 * UTF-8 bytes (cut on a character boundary, the extension kept). `undefined` when nothing is
 * left: the caller then uses fallbackFilename().
 */
export function sanitizeFilename(name: string | undefined | null): string | undefined {
	if (!name) return undefined;
	let segment = name;
	if (!isPlainSegment(name)) {
		segment = '';
		for (const char of name) {
			if (char === '/' || char === '\\') segment = '';
			else if (!isRemoved(char.codePointAt(0)!)) segment += char;
		}
	}
	const trimmed = trimDotsAndSpaces(segment);
	if (!trimmed) return undefined;
	return Buffer.byteLength(trimmed, 'utf8') <= MAX_FILENAME_BYTES ? trimmed : shorten(trimmed);
}

/**
 * A name with no separator and nothing to remove, which the loop above would copy character by
 * character (10,000 parts: 10,000 names built one character at a time). Every removed code
 * point is in the BMP, so testing UTF-16 units is exact (a surrogate is never removed).
 */
function isPlainSegment(name: string): boolean {
	for (let at = 0; at < name.length; at++) {
		const code = name.charCodeAt(at);
		if (code === 0x2f || code === 0x5c || isRemoved(code)) return false;
	}
	return true;
}

/** What AttachmentInfo carries: the safe name, and the sent one when it differs. */
export function attachmentNames(
	sent: string | undefined | null,
	contentType: string,
	index: number,
): { filename: string; originalFilename?: string } {
	const filename = sanitizeFilename(sent) ?? fallbackFilename(contentType, index);
	return sent && sent !== filename ? { filename, originalFilename: sent } : { filename };
}

function trimDotsAndSpaces(value: string): string {
	let start = 0;
	let end = value.length;
	while (start < end && isDotOrSpace(value.charCodeAt(start))) start++;
	while (end > start && isDotOrSpace(value.charCodeAt(end - 1))) end--;
	return value.slice(start, end);
}

function isDotOrSpace(code: number): boolean {
	return code === 0x2e || code === 0x20;
}

/** Cuts the stem so stem + extension fit MAX_FILENAME_BYTES; never half a character. */
function shorten(name: string): string {
	const dot = name.lastIndexOf('.');
	const extension = dot > 0 ? name.slice(dot) : '';
	const keep =
		extension && Buffer.byteLength(extension, 'utf8') <= MAX_EXTENSION_BYTES ? extension : '';
	const stem = keep ? name.slice(0, dot) : name;
	const budget = MAX_FILENAME_BYTES - Buffer.byteLength(keep, 'utf8');
	let cut = '';
	let bytes = 0;
	for (const char of stem) {
		const size = Buffer.byteLength(char, 'utf8');
		if (bytes + size > budget) break;
		cut += char;
		bytes += size;
	}
	return trimDotsAndSpaces(cut) + keep;
}
