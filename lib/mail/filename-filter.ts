import { MailIntelError } from '../errors';
import { sanitizeFilename } from './filename';

/**
 * rsync-style include/exclude rules for attachment file names (seed 004's `FILTER`):
 *   `**\/*.docx`  include .docx anywhere        `- tmp/`  exclude anything under a `tmp` folder
 *   `+ *.pdf`     explicit include               `-*.exe`  exclude (the space is optional)
 * Paths are `folder/filename` relative to the watched mailbox folder. As in rsync, the first
 * matching rule decides; `*` stays within one path segment, `**` crosses segments, `?` is
 * one character, a trailing `/` matches a directory, a leading `/` anchors at the root, and a
 * pattern without `/` matches the last segment (the file name). When nothing matches, a path
 * is kept unless the rules contain includes (then they work as an allow-list).
 *
 * The file name judged is the sanitized one (lib/mail/filename.ts), never the sender's: a sent
 * name `evil.exe/.pdf` would otherwise be a folder `evil.exe` holding `.pdf`, and `**\/*.pdf`
 * would keep an executable. attachmentPath() builds the path the rules see.
 */
export interface FilenameRule {
	include: boolean;
	pattern: string;
	test: (path: string) => boolean;
}

export function parseFilenameRules(text: string): FilenameRule[] {
	return text
		.split(/[\n,]+/)
		.map((line) => line.trim())
		.filter((line) => line.length > 0 && !line.startsWith('#'))
		.map(compileRule);
}

function compileRule(line: string): FilenameRule {
	let include = true;
	let pattern = line;
	const sign = /^([+-])\s*/.exec(line);
	if (sign) {
		include = sign[1] === '+';
		pattern = line.slice(sign[0].length).trim();
	}
	if (!pattern) {
		throw new MailIntelError(`Filter rule "${line}" has no pattern`, {
			source: 'config',
			code: 'BAD_CONFIG',
			field: 'attachmentFilter',
			hint: 'Write one rule per line, e.g. `**/*.docx` or `- tmp/`.',
		});
	}
	const directory = pattern.endsWith('/');
	const anchored = pattern.startsWith('/');
	const body = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
	const hasSlash = body.includes('/');
	const regex = globToRegex(body);
	const test = (path: string): boolean => {
		const segments = path.split('/').filter(Boolean);
		if (directory) {
			// A directory pattern matches when some leading run of the path's folders matches it.
			const folders = segments.slice(0, -1);
			for (let end = 1; end <= folders.length; end++) {
				for (
					let start = anchored ? 0 : hasSlash ? 0 : end - 1;
					start < (anchored ? 1 : end);
					start++
				) {
					if (regex.test(folders.slice(start, end).join('/'))) return true;
				}
			}
			return false;
		}
		if (anchored) return regex.test(segments.join('/'));
		if (!hasSlash) return regex.test(segments.at(-1) ?? '');
		// Unanchored with a slash: match any trailing run of segments (rsync's "matches at the end").
		for (let start = 0; start < segments.length; start++)
			if (regex.test(segments.slice(start).join('/'))) return true;
		return false;
	};
	return { include, pattern: line, test };
}

function globToRegex(glob: string): RegExp {
	let source = '';
	for (let i = 0; i < glob.length; i++) {
		const char = glob[i];
		if (char === '*' && glob[i + 1] === '*') {
			// `**/` also matches zero folders.
			if (glob[i + 2] === '/') {
				source += '(?:.*/)?';
				i += 2;
			} else {
				source += '.*';
				i += 1;
			}
		} else if (char === '*') source += '[^/]*';
		else if (char === '?') source += '[^/]';
		else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
	}
	return new RegExp(`^${source}$`, 'i');
}

/** The path the rules judge: the mailbox folder, then the SANITIZED attachment name (one segment). */
export function attachmentPath(folder: string, filename: string): string {
	return `${folder}/${sanitizeFilename(filename) ?? ''}`;
}

/** A predicate over `folder/filename` paths; undefined when there are no rules (keep all). */
export function compileFilenameFilter(text: string): ((path: string) => boolean) | undefined {
	const rules = parseFilenameRules(text);
	if (rules.length === 0) return undefined;
	const hasIncludes = rules.some((rule) => rule.include);
	return (path) => {
		for (const rule of rules) if (rule.test(path)) return rule.include;
		return !hasIncludes;
	};
}
