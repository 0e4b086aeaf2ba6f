/**
 * Hostile mail costs what ordinary mail of the same size costs, within a constant: parsing is
 * linear whatever the sender writes. Prints one JSON line.
 *
 * p8_pathological_ratio — time per MB parsing the pathological corpus (test/fixtures/
 *   pathological.ts: a 1 MB Date header of "(", 1 MB of "<" in an HTML body, 10,000 parts,
 *   100,000 addresses in To, 1,000-deep nesting, and 100-deep nesting: the deepest the parser
 *   still reads whole) ÷ time per MB parsing ordinary mail (text + HTML alternative and a PDF)
 *   of the same sizes, both in this run. Goal ≤ 3. 1,000 levels are past the nesting limit
 *   (lib/mail/mime-depth.ts): that input yields the item a user gets for it (headers, the
 *   nesting parseError), so it costs little; `p8_pathological_ratio_without_deep_nesting` is the
 *   same figure without it.
 * p8_ratio_<input> — the same per input (which shape costs what).
 * p8_ratio_less_than_html_vs_html_only — less_than_html's time per MB ÷ that of ordinary
 *   HTML-only mail of about the same size (not in the yardstick): ~1 when what less_than_html costs
 *   is converting HTML to text (html-to-text), which every HTML-only message pays.
 * p8_growth_<input> — log4 of (time at full size ÷ time at a quarter of it): ~1 when parsing
 *   is linear, ~2 when it is quadratic (what the comment-stripping and tag regexes were).
 * Each time is the median of RUNS parses of one source held in memory, through parseEmail
 * with the default policy and the in-memory sink (what a trigger does per message).
 */
import { MAX_MIME_DEPTH } from '../../lib/mail/mime-depth';
import { parseEmail, type EmailIdentity } from '../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../lib/mail/policy';
import {
	deepNesting,
	htmlOnlyMail,
	lessThanHtml,
	manyAddresses,
	manyParts,
	ordinaryMail,
	parenDateHeader,
} from '../fixtures/pathological';

const RUNS = 5;
const MB = 1024 * 1024;
const identity: EmailIdentity = {
	provider: 'file',
	account: '',
	mailbox: '',
	id: 'bench',
	locator: 'file://bench',
	receivedAt: '2024-04-01T10:00:00Z',
};
/** Each input at full size and at a quarter of it (for the growth figure). */
const INPUTS: Record<string, (scale: number) => Buffer> = {
	paren_date: (scale) => parenDateHeader(Math.round(MB * scale)),
	less_than_html: (scale) => lessThanHtml(Math.round(MB * scale)),
	many_parts: (scale) => manyParts(Math.round(10_000 * scale)),
	many_addresses: (scale) => manyAddresses(Math.round(100_000 * scale)),
	deep_nesting: (scale) => deepNesting(Math.round(1_000 * scale)),
	deep_nesting_at_limit: (scale) => deepNesting(Math.round(MAX_MIME_DEPTH * scale)),
};
/** The one input whose correct item has a parseError: nested past MAX_MIME_DEPTH. */
const PAST_THE_LIMIT = new Set(['deep_nesting']);

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const log = (text: string) => process.stderr.write(`${text}\n`);

/**
 * Median milliseconds to parse `source` (after one warm-up parse). `pastLimit`: the item must
 * carry the nesting-limit parseError (and nothing else may).
 */
async function parseMs(source: Buffer, pastLimit = false): Promise<number> {
	const times: number[] = [];
	for (let run = 0; run <= RUNS; run++) {
		gc();
		const started = process.hrtime.bigint();
		const parsed = await parseEmail(source, identity, {
			policy: { ...DEFAULT_POLICY, maxTextChars: 4 * MB },
		});
		const ms = Number(process.hrtime.bigint() - started) / 1e6;
		const flagged = parsed.email.parseError?.startsWith('MIME nesting deeper than') ?? false;
		if (flagged !== pastLimit || (parsed.email.parseError && !flagged))
			throw new Error(`unexpected item: parseError ${parsed.email.parseError ?? 'unset'}`);
		if (run > 0) times.push(ms);
	}
	return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

void (async () => {
	const round2 = (value: number) => Math.round(value * 100) / 100;
	const figures: Record<string, number> = {};
	let hostileMs = 0;
	let hostileMb = 0;
	let ordinaryMs = 0;
	let ordinaryMb = 0;
	/** The same sums without deep_nesting. */
	const without = { hostileMs: 0, hostileMb: 0, ordinaryMs: 0, ordinaryMb: 0 };
	for (const [name, make] of Object.entries(INPUTS)) {
		const full = make(1);
		const pastLimit = PAST_THE_LIMIT.has(name);
		const fullMs = await parseMs(full, pastLimit);
		const quarterMs = await parseMs(make(0.25), pastLimit);
		const ordinary = ordinaryMail(full.length);
		const plainMs = await parseMs(ordinary);
		const mb = full.length / MB;
		const plainMb = ordinary.length / MB;
		hostileMs += fullMs;
		hostileMb += mb;
		ordinaryMs += plainMs;
		ordinaryMb += plainMb;
		if (name !== 'deep_nesting') {
			without.hostileMs += fullMs;
			without.hostileMb += mb;
			without.ordinaryMs += plainMs;
			without.ordinaryMb += plainMb;
		}
		figures[`p8_ratio_${name}`] = round2(fullMs / mb / (plainMs / plainMb));
		figures[`p8_growth_${name}`] = round2(Math.log(fullMs / quarterMs) / Math.log(4));
		if (name === 'less_than_html') {
			const htmlOnly = htmlOnlyMail(full.length);
			const htmlOnlyMs = await parseMs(htmlOnly);
			figures.p8_ratio_less_than_html_vs_html_only = round2(
				fullMs / full.length / (htmlOnlyMs / htmlOnly.length),
			);
		}
		log(
			`${name}: ${mb.toFixed(2)} MB in ${fullMs.toFixed(0)} ms (a quarter: ${quarterMs.toFixed(0)} ms); ` +
				`ordinary mail of ${plainMb.toFixed(2)} MB: ${plainMs.toFixed(0)} ms`,
		);
	}
	const result = {
		p8_pathological_ratio: round2(hostileMs / hostileMb / (ordinaryMs / ordinaryMb)),
		p8_pathological_ratio_without_deep_nesting: round2(
			without.hostileMs / without.hostileMb / (without.ordinaryMs / without.ordinaryMb),
		),
		p8_pathological_ms_per_mb: round2(hostileMs / hostileMb),
		p8_ordinary_ms_per_mb: round2(ordinaryMs / ordinaryMb),
		...figures,
	};
	console.log(JSON.stringify(result));
})().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
