/**
 * Finds the password of a protected archive in an email's text ("Password: Inv2026!",
 * "pw = x7", "Kennwort: ..."), as senders of encrypted invoices and malware alike write it.
 *
 * Hostile input: the text is attacker-controlled and may be megabytes. One linear regex pass
 * finds the keywords (no nested or adjacent quantifiers that could backtrack), then a bounded
 * hand-written scan reads what follows each: at most MAX_GAP separator characters and a token
 * of at most MAX_PASSWORD_LENGTH characters. Only the first MAX_TEXT_CHARS characters are read.
 */
export const MAX_TEXT_CHARS = 1_000_000;
export const MAX_PASSWORD_LENGTH = 128;
/** Spaces, "is", ':', '=' between the keyword and the password. */
const MAX_GAP = 16;
/** Candidates returned at most (a thread quoting older mails may name several). */
const MAX_CANDIDATES = 5;

const KEYWORD = /\b(?:password|passwort|passwd|kennwort|pwd|pw)\b/gi;
const QUOTES = /^["'«“‘]+|["'»”’]+$/g;
/**
 * Punctuation that ends a password written in prose ("Password: x7f2." ). `!` and `?` stay:
 * passwords end in them far more often than sentences around a password do.
 */
const TRAILING = /[.,;)\]]+$/;

/** Every password candidate, in text order (at most MAX_CANDIDATES, deduplicated). */
export function findArchivePasswords(text: string | undefined): string[] {
	if (!text) return [];
	const haystack = text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text;
	const found: string[] = [];
	KEYWORD.lastIndex = 0;
	for (let match = KEYWORD.exec(haystack); match; match = KEYWORD.exec(haystack)) {
		const candidate = tokenAfter(haystack, match.index + match[0].length);
		if (candidate && !found.includes(candidate)) found.push(candidate);
		if (found.length >= MAX_CANDIDATES) break;
	}
	return found;
}

/** The first candidate, or undefined when the text names none. */
export function findArchivePassword(text: string | undefined): string | undefined {
	return findArchivePasswords(text)[0];
}

/** Reads `[ ]*(is)?[ ]*[:=-]?[ ]*TOKEN` from `start`, by hand, within fixed bounds. */
function tokenAfter(text: string, start: number): string | undefined {
	let at = start;
	const gapEnd = Math.min(text.length, start + MAX_GAP);
	let separator = false;
	while (at < gapEnd) {
		const char = text[at]!;
		if (char === ' ' || char === '\t') at++;
		else if (!separator && (char === ':' || char === '=' || char === '-' || char === '–')) {
			separator = true;
			at++;
		} else if (!separator && text.slice(at, at + 3).toLowerCase() === 'is ') {
			separator = true;
			at += 3;
		} else break;
	}
	// "password" in prose ("reset your password and...") has no separator: not a password.
	if (!separator) return undefined;
	const tokenEnd = Math.min(text.length, at + MAX_PASSWORD_LENGTH + 1);
	let end = at;
	while (end < tokenEnd && !/\s/.test(text[end]!)) end++;
	if (end - at > MAX_PASSWORD_LENGTH) return undefined;
	const token = text.slice(at, end).replace(QUOTES, '').replace(TRAILING, '').replace(QUOTES, '');
	// A password has at least one letter or digit; "password: :" is not one.
	return /[\p{L}\p{N}]/u.test(token) ? token : undefined;
}
