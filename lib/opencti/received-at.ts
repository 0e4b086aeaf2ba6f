import { DateTime, FixedOffsetZone } from 'luxon';

import type { NormalizedEmail } from '../mail/types';

/**
 * `{date}` of the connector's "**Email Received At**" line: Python's `str(datetime)` of the
 * Date header as imap_tools parses it (email.utils.parsedate_to_datetime), i.e. the time in
 * the email's OWN offset: `2026-11-20 09:30:00+02:00`, and for a header without a zone (or
 * with RFC 5322's "-0000", unknown zone) the naive `2026-11-20 09:30:00`.
 *
 * The item's `date` is UTC, so this reads `headers.date` again. The tokenizer follows
 * Python's `_parsedate_tz` for the forms mail really uses and runs in linear time over a
 * bounded header. Whenever it cannot read the header, or reads an instant other than the
 * item's `date` (the parser's verdict, also `published`), the line shows `date` in UTC
 * (`2026-11-20 07:30:00+00:00`): the description never contradicts the report's published date.
 */
export function receivedAtText(
	email: Pick<NormalizedEmail, 'date' | 'headers' | 'dateFromReceived'>,
): string {
	const header = email.dateFromReceived ? undefined : email.headers?.date?.[0];
	const parsed = header === undefined ? undefined : parseDateHeader(header);
	const published = Date.parse(email.date);
	if (parsed && parsed.dateTime.toMillis() === published) {
		const local = parsed.dateTime.toFormat('yyyy-MM-dd HH:mm:ss');
		return parsed.naive ? local : local + parsed.dateTime.toFormat('ZZ');
	}
	return pythonUtc(email.date);
}

/** A Date header value longer than this is not a date anyone wrote by hand or by mailer. */
const MAX_HEADER_CHARS = 256;

/** Python's email._parseaddr tables: day names, month names (short, then long), zone names. */
const DAY_NAMES = new Set(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const MONTH_NAMES = [
	'jan',
	'feb',
	'mar',
	'apr',
	'may',
	'jun',
	'jul',
	'aug',
	'sep',
	'oct',
	'nov',
	'dec',
	'january',
	'february',
	'march',
	'april',
	'may',
	'june',
	'july',
	'august',
	'september',
	'october',
	'november',
	'december',
];
/** In Python's ±hhmm notation, as `_timezones`. */
const ZONE_NAMES: Record<string, number> = {
	UT: 0,
	UTC: 0,
	GMT: 0,
	Z: 0,
	AST: -400,
	ADT: -300,
	EST: -500,
	EDT: -400,
	CST: -600,
	CDT: -500,
	MST: -700,
	MDT: -600,
	PST: -800,
	PDT: -700,
};

interface ParsedDate {
	/** In the header's offset; in UTC when the header had none (the parser's reading too). */
	dateTime: DateTime;
	/** No usable zone: Python keeps the datetime naive and prints no offset. */
	naive: boolean;
}

export function parseDateHeader(value: string): ParsedDate | undefined {
	if (value.length > MAX_HEADER_CHARS) return undefined;
	const tokens = withoutComments(value).split(/\s+/).filter(Boolean);
	if (tokens.length === 0) return undefined;
	// A leading day name ("Tue," or "Tue") goes; "Tue,20" keeps what follows the comma.
	if (tokens[0].endsWith(',') || DAY_NAMES.has(tokens[0].toLowerCase())) tokens.shift();
	else if (tokens[0].includes(',')) tokens[0] = tokens[0].slice(tokens[0].lastIndexOf(',') + 1);
	if (tokens.length === 4) {
		// "09:30:00+0200": the zone glued to the time; otherwise there is no zone at all.
		const time = tokens[3];
		let sign = time.indexOf('+');
		if (sign < 0) sign = time.indexOf('-');
		if (sign > 0) tokens.splice(3, 1, time.slice(0, sign), time.slice(sign));
		else tokens.push('');
	}
	if (tokens.length < 5) return undefined;
	let [day, month, year, time] = tokens;
	const zone = tokens[4];
	month = month.toLowerCase();
	if (!MONTH_NAMES.includes(month)) [day, month] = [month, day.toLowerCase()];
	const monthIndex = MONTH_NAMES.indexOf(month);
	if (monthIndex < 0) return undefined;
	if (day.endsWith(',')) day = day.slice(0, -1);
	if (year.includes(':')) [year, time] = [time, year];
	if (year.endsWith(',')) year = year.slice(0, -1);
	const clock = time.split(':');
	if (!/^\d{1,2}$/.test(day) || !/^\d{1,4}$/.test(year) || clock.length < 2 || clock.length > 3)
		return undefined;
	if (!clock.every((part) => /^\d{1,2}$/.test(part))) return undefined;
	let fullYear = Number(year);
	if (fullYear < 100) fullYear += fullYear > 68 ? 1900 : 2000;
	const offsetMinutes = zoneOffsetMinutes(zone);
	const dateTime = DateTime.fromObject(
		{
			year: fullYear,
			month: (monthIndex % 12) + 1,
			day: Number(day),
			hour: Number(clock[0]),
			minute: Number(clock[1]),
			second: clock.length === 3 ? Number(clock[2]) : 0,
		},
		{ zone: offsetMinutes === undefined ? 'utc' : FixedOffsetZone.instance(offsetMinutes) },
	);
	if (!dateTime.isValid) return undefined;
	return { dateTime, naive: offsetMinutes === undefined };
}

/** Python: a known name, or `int(zone)` read as ±hhmm; "-0000" and unknown names mean no zone. */
function zoneOffsetMinutes(zone: string): number | undefined {
	const upper = zone.toUpperCase();
	let hhmm: number | undefined = ZONE_NAMES[upper];
	if (hhmm === undefined && /^[+-]?\d+$/.test(zone)) hhmm = Number(zone);
	if (hhmm === undefined || (hhmm === 0 && zone.startsWith('-'))) return undefined;
	const sign = hhmm < 0 ? -1 : 1;
	const magnitude = Math.abs(hhmm);
	const minutes = sign * (Math.floor(magnitude / 100) * 60 + (magnitude % 100));
	// Python's timezone() refuses offsets of a day or more; imap_tools then gives up on the date.
	return Math.abs(minutes) < 24 * 60 ? minutes : undefined;
}

/** RFC 5322 comments, nested or not, removed in one pass (an unclosed one runs to the end). */
function withoutComments(value: string): string {
	let depth = 0;
	let out = '';
	for (const char of value) {
		if (char === '(') {
			if (depth++ === 0) out += ' ';
		} else if (char === ')' && depth > 0) depth--;
		else if (depth === 0) out += char;
	}
	return out;
}

/** `str()` of an aware UTC datetime: `2026-11-20 07:30:00+00:00`. */
function pythonUtc(iso: string): string {
	const dateTime = DateTime.fromISO(iso, { zone: 'utc' });
	return dateTime.isValid ? `${dateTime.toFormat('yyyy-MM-dd HH:mm:ss')}+00:00` : iso;
}
