import type { AttachmentSkipReason } from './types';

/**
 * What to keep from a message. The same policy object serves every provider, so an
 * attachment is kept or skipped for the same reason whichever trigger saw it.
 */
export interface AttachmentPolicy {
	/** MIME types to keep: exact (`application/pdf`) or wildcard (`image/*`, `*` / `*\/*` = all). Empty = none. */
	mimeTypes: string[];
	/** Keep inline parts (Content-Disposition: inline, or referenced by Content-ID) too. */
	includeInline: boolean;
	/** Per-attachment cap in bytes; a larger part is listed with `skipped: "size"`. */
	maxAttachmentBytes: number;
	/** Cap for `text` and `html` each, in characters; beyond it `textTruncated` is set. */
	maxTextChars: number;
	/** Optional extra filter on filenames (Graph's rsync-style rules, see filename-filter.ts). */
	filenameFilter?: (filename: string) => boolean;
}

export const DEFAULT_MIME_TYPES = ['application/pdf', 'text/csv', 'text/plain'];

export const DEFAULT_POLICY: AttachmentPolicy = {
	mimeTypes: DEFAULT_MIME_TYPES,
	includeInline: false,
	maxAttachmentBytes: 25 * 1024 * 1024,
	maxTextChars: 1024 * 1024,
};

/** Parses the user's comma/newline separated list (`application/pdf, image/*`). */
export function parseMimeTypeList(value: string): string[] {
	return value
		.split(/[\s,;]+/)
		.map((type) => type.trim().toLowerCase())
		.filter((type) => type.length > 0);
}

export function mimeTypeAllowed(contentType: string, allowed: string[]): boolean {
	const type = contentType.split(';')[0].trim().toLowerCase();
	return allowed.some((rule) => {
		if (rule === '*' || rule === '*/*') return true;
		if (rule.endsWith('/*')) return type.startsWith(rule.slice(0, -1));
		return rule === type;
	});
}

/**
 * Decides before any byte is read whether a part is kept. Size is checked while streaming,
 * because MIME headers do not carry a trustworthy decoded size.
 */
export function skipReasonFor(
	part: { contentType: string; inline: boolean; filename: string },
	policy: AttachmentPolicy,
): AttachmentSkipReason | undefined {
	if (part.inline && !policy.includeInline) return 'inline';
	if (!mimeTypeAllowed(part.contentType, policy.mimeTypes)) return 'mimeType';
	if (policy.filenameFilter && !policy.filenameFilter(part.filename)) return 'filename';
	return undefined;
}
