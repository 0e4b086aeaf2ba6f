import { randomBytes } from 'node:crypto';

import type { FileUpload } from './types';

/**
 * A request body following the GraphQL multipart request spec
 * (github.com/jaydenseric/graphql-multipart-request-spec): an `operations` part with the
 * files set to null in the variables, a `map` part from file part names to variable paths,
 * then one part per file. graphql-request cannot send this, so uploads are built here.
 */
export interface FileSlot {
	/** Variable path the file replaces, e.g. `variables.input.files.0`. */
	path: string;
	file: FileUpload;
}

/**
 * The body as one Blob whose `type` is `multipart/form-data; boundary=...`: fetch sends a
 * Blob's type as the Content-Type, so callers pass it as the body and set no header.
 * Built by hand rather than with FormData because FormData writes a file name as raw UTF-8
 * in `filename="..."`, which busboy (OpenCTI's upload parser, through graphql-upload) and
 * most other multipart parsers read as latin1: "отчёт.pdf" would arrive as mojibake.
 */
export function multipartBody(
	query: string,
	variables: Record<string, unknown>,
	slots: FileSlot[],
): Blob {
	// 32 random hex digits: the chance that a file contains the delimiter line is nil. Lower
	// case only: Blob lower-cases its type, and the boundary must match the body byte for byte.
	const boundary = `----email-intel-${randomBytes(16).toString('hex')}`;
	const map: Record<string, string[]> = {};
	slots.forEach((slot, index) => (map[String(index)] = [slot.path]));
	const parts: Array<string | Uint8Array> = [
		field(boundary, 'operations', JSON.stringify({ query, variables })),
		field(boundary, 'map', JSON.stringify(map)),
	];
	slots.forEach((slot, index) => {
		parts.push(
			`--${boundary}\r\n` +
				`Content-Disposition: form-data; name="${index}"; ${filenameParameters(slot.file.name)}\r\n` +
				`Content-Type: ${safeMimeType(slot.file.mimeType)}\r\n\r\n`,
			new Uint8Array(slot.file.data.buffer, slot.file.data.byteOffset, slot.file.data.byteLength),
			'\r\n',
		);
	});
	parts.push(`--${boundary}--\r\n`);
	return new Blob(parts, { type: `multipart/form-data; boundary=${boundary}` });
}

function field(boundary: string, name: string, value: string): string {
	return `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
}

/**
 * `filename="..."` alone for a plain ASCII name. Otherwise an ASCII fallback there (each
 * other character `_`) plus RFC 5987 / RFC 6266 `filename*=UTF-8''<percent-encoded>`, which
 * busboy prefers over `filename`. RFC 7578 §4.2 says form-data should not use `filename*`;
 * we send it anyway because the parsers OpenCTI runs decode it and nothing else carries a
 * non-ASCII name intact.
 */
export function filenameParameters(name: string): string {
	const fallback = name.replace(/[^\x20-\x7e]|["\\]/gu, '_');
	if (fallback === name) return `filename="${name}"`;
	return `filename="${fallback}"; filename*=UTF-8''${rfc5987(name)}`;
}

/** RFC 5987 attr-char stays; every other UTF-8 byte is %XX (encodeURIComponent leaves `'()*` too). */
function rfc5987(value: string): string {
	// A lone surrogate (possible in a workflow-supplied name) would make encodeURIComponent throw.
	const wellFormed = value.replace(LONE_SURROGATE, '\uFFFD');
	return encodeURIComponent(wellFormed).replace(
		/['()*]/g,
		(char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
	);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A declared type comes from mail or the workflow: only `type/subtype` goes into the header. */
function safeMimeType(mimeType: string): string {
	const type = mimeType.split(';')[0].trim().toLowerCase();
	return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : 'application/octet-stream';
}
