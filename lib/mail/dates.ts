import { DateTime } from 'luxon';

/** A numeric offset or a zone name that Date.parse understands. */
const HAS_ZONE = /[+-]\d{2}:?\d{2}(?!\d)|\b(?:GMT|UTC|UT|Z)\b|\b[ECMP][SD]T\b/i;

/**
 * Date header -> ISO-8601 UTC, or undefined when the header is missing or unparseable.
 * mailparser silently replaces an invalid Date with "now"; we parse the raw header so the
 * caller can fall back to the server's received time and say so (`dateFromReceived`).
 */
export function parseHeaderDate(value: string | undefined): string | undefined {
	if (!value) return undefined;
	// RFC 5322 allows comments such as "(UTC)" and obsolete zone names; drop the comments,
	// and a zone name written after a numeric offset without parentheses ("+0200 CEST").
	const cleaned = withoutComments(value)
		.replace(/\s+/g, ' ')
		.trim()
		.replace(/([+-]\d{4}) [A-Za-z]{1,5}$/, '$1');
	// No date, however it is written, is longer; the parsers below need not see 100 KB of it.
	if (cleaned.length > MAX_DATE_CHARS) return undefined;
	const fast = strictRfc5322(cleaned);
	if (fast) return fast;
	let parsed = DateTime.fromRFC2822(cleaned, { zone: 'utc' });
	if (!parsed.isValid) parsed = DateTime.fromISO(cleaned, { zone: 'utc' });
	if (!parsed.isValid) {
		// Last resort for the many almost-RFC forms in the wild ("Tue, 3 Jun 2025 10:00:00 +0200 (CEST)").
		// Date.parse reads a date without a zone in the machine's local time; mail servers
		// and n8n hosts differ, so a zone-less date is taken as UTC everywhere.
		// It also turns "0" or "12" into dates: demand a 4-digit year and one more number.
		if (!/\b\d{4}\b/.test(cleaned) || (cleaned.match(/\d+/g) ?? []).length < 2) return undefined;
		const millis = Date.parse(HAS_ZONE.test(cleaned) ? cleaned : `${cleaned} UTC`);
		if (Number.isNaN(millis)) return undefined;
		parsed = DateTime.fromMillis(millis, { zone: 'utc' });
	}
	const year = parsed.year;
	if (year < 1970 || year > 9999) return undefined;
	return parsed.toUTC().toISO({ suppressMilliseconds: true }) ?? undefined;
}

/** "Tuesday, 31 December 2024 23:59:59.999 +0000" is 45; comments are gone by then. */
const MAX_DATE_CHARS = 80;

/**
 * Drops RFC 5322 comments in one pass: nested ones (`(a (b) c)`) and quoted pairs (`\)`)
 * included, an unclosed one running to the end. A regex such as `/\([^)]*\)/g` is quadratic
 * on a header of `(` (each opener scans to the end), and headers of 100 KB are legal.
 */
export function withoutComments(value: string): string {
	let out = '';
	let depth = 0;
	let from = 0;
	for (let i = 0; i < value.length; i++) {
		const char = value[i];
		if (char === '\\' && depth > 0) i++;
		else if (char === '(') {
			if (depth === 0) out += value.slice(from, i) + ' ';
			depth++;
		} else if (char === ')' && depth > 0) {
			depth--;
			if (depth === 0) from = i + 1;
		}
	}
	return depth === 0 ? out + value.slice(from) : out;
}

export function toUtcIso(value: Date | string): string {
	// Fast path (once per message on ingest): a value already in the canonical form, or a
	// Date in years 1000-9999, where toISOString writes exactly what luxon would.
	if (typeof value === 'string' ? CANONICAL_ISO.test(value) : true) {
		const date = typeof value === 'string' ? new Date(value) : value;
		const year = date.getUTCFullYear();
		if (year >= 1000 && year <= 9999) {
			const iso = date.toISOString().replace(MILLIS_ZERO, 'Z');
			if (typeof value !== 'string' || iso === value) return iso;
		}
	}
	const parsed =
		typeof value === 'string'
			? DateTime.fromISO(value, { zone: 'utc' })
			: DateTime.fromJSDate(value, { zone: 'utc' });
	if (!parsed.isValid) throw new RangeError(`not a valid date: ${String(value)}`);
	return parsed.toUTC().toISO({ suppressMilliseconds: true }) as string;
}

const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
const MILLIS_ZERO = /\.000Z$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const RFC5322_DATE =
	/^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? ([+-])(\d{2})(\d{2})$/;

/**
 * The Date header as almost every mailer writes it ("Tue, 5 Mar 2024 09:15:00 +0100"),
 * without luxon (a measurable share of ingest time). Anything unusual - a weekday that
 * does not match, Feb 30, a zone name - returns undefined and goes the general way.
 */
function strictRfc5322(value: string): string | undefined {
	const match = RFC5322_DATE.exec(value);
	if (!match) return undefined;
	const [, weekday, day, month, year, hour, minute, second, sign, offsetHours, offsetMinutes] =
		match;
	const y = Number(year);
	const m = MONTHS.indexOf(month);
	const d = Number(day);
	const h = Number(hour);
	const min = Number(minute);
	const s = second === undefined ? 0 : Number(second);
	const oh = Number(offsetHours);
	const om = Number(offsetMinutes);
	if (h > 23 || min > 59 || s > 59 || om > 59 || d < 1) return undefined;
	if (d > new Date(Date.UTC(y, m + 1, 0)).getUTCDate()) return undefined;
	if (weekday && WEEKDAYS[new Date(Date.UTC(y, m, d)).getUTCDay()] !== weekday) return undefined;
	const offset = (sign === '-' ? -1 : 1) * (oh * 60 + om);
	const utc = new Date(Date.UTC(y, m, d, h, min, s) - offset * 60_000);
	const utcYear = utc.getUTCFullYear();
	if (utcYear < 1970 || utcYear > 9999) return undefined;
	return utc.toISOString().replace(MILLIS_ZERO, 'Z');
}
