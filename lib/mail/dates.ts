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
	const cleaned = value
		.replace(/\([^)]*\)/g, ' ')
		.replace(/\s+/g, ' ')
		.trim()
		.replace(/([+-]\d{4}) [A-Za-z]{1,5}$/, '$1');
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

export function toUtcIso(value: Date | string): string {
	const parsed =
		typeof value === 'string' ? DateTime.fromISO(value, { zone: 'utc' }) : DateTime.fromJSDate(value, { zone: 'utc' });
	if (!parsed.isValid) throw new RangeError(`not a valid date: ${String(value)}`);
	return parsed.toUTC().toISO({ suppressMilliseconds: true }) as string;
}
