import { createRequire } from 'node:module';

/** One entry of an address header as nodemailer's addressparser returns it. */
export interface ParsedAddressEntry {
	name: string;
	address?: string;
	group?: ParsedAddressEntry[];
}

/**
 * The addressparser mailparser itself uses (its own nodemailer copy, resolved from mailparser's
 * folder), so a header falls back to exactly the parsing it had before the fast path existed.
 */
const addressparser = createRequire(require.resolve('mailparser'))(
	'nodemailer/lib/addressparser',
) as (value: string) => ParsedAddressEntry[];

/**
 * Parses an address header value (From, To, Cc, ...). A list made only of bare addr-specs
 * (`a@example.com, b@example.com`: the shape of a 100,000-recipient To) is split in one pass
 * here; nodemailer's tokenizer costs ~10x more per address on such a list (an object and a
 * string per character run, then a regex per token). Anything else — a display name, a quote,
 * a comment, angle brackets, a group, a domain literal, non-ASCII, a control character — goes
 * to addressparser unchanged. test/lib/mail/address-list.test.ts checks that both give the same
 * result wherever the fast path answers.
 */
export function parseAddressList(value: string): ParsedAddressEntry[] {
	return bareAddrSpecs(value) ?? addressparser(value);
}

/**
 * `[{address, name: ''}, ...]` when `value` is only addr-specs (printable ASCII without
 * RFC 5322 specials, exactly one `@` with something on both sides) separated by `,` or `;`
 * and whitespace; undefined otherwise. Linear: each character is looked at once.
 */
export function bareAddrSpecs(value: string): ParsedAddressEntry[] | undefined {
	const result: ParsedAddressEntry[] = [];
	const length = value.length;
	let at = 0;
	while (at < length) {
		const code = value.charCodeAt(at);
		if (isSeparator(code) || isSpace(code)) {
			at++;
			continue;
		}
		const start = at;
		let atSign = -1;
		for (; at < length; at++) {
			const char = value.charCodeAt(at);
			if (char === 0x40) {
				if (atSign >= 0) return undefined;
				atSign = at;
			} else if (!isAtext(char)) break;
		}
		if (atSign <= start || atSign >= at - 1) return undefined;
		const address = value.slice(start, at);
		while (at < length && isSpace(value.charCodeAt(at))) at++;
		if (at < length && !isSeparator(value.charCodeAt(at))) return undefined;
		result.push({ address, name: '' });
	}
	return result;
}

/** `,` and `;` (addressparser reads a `;` outside a group as a comma). */
function isSeparator(code: number): boolean {
	return code === 0x2c || code === 0x3b;
}

function isSpace(code: number): boolean {
	return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}

/** Printable ASCII except the specials `"(),:;<>@[\]` and the space. */
function isAtext(code: number): boolean {
	if (code < 0x21 || code > 0x7e) return false;
	switch (code) {
		case 0x22: // "
		case 0x28: // (
		case 0x29: // )
		case 0x2c: // ,
		case 0x3a: // :
		case 0x3b: // ;
		case 0x3c: // <
		case 0x3e: // >
		case 0x40: // @
		case 0x5b: // [
		case 0x5c: // \
		case 0x5d: // ]
			return false;
		default:
			return true;
	}
}
