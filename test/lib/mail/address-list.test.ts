import { createRequire } from 'node:module';

import { bareAddrSpecs, parseAddressList } from '../../../lib/mail/address-list';

// The fast path for bare addr-spec lists must answer exactly what nodemailer's addressparser
// (mailparser's own copy) answers, and must decline anything else. Random values built from
// address-like fragments probe the boundary between the two; the seed keeps runs repeatable.

const addressparser = createRequire(require.resolve('mailparser'))(
	'nodemailer/lib/addressparser',
) as (value: string) => unknown[];

const FRAGMENTS = [
	'a@example.com',
	'first.last+tag@sub.example.org',
	"o'neil@example.ie",
	'x_y-z=1@host',
	'@example.com',
	'user@',
	'a@b@c',
	'plain',
	'Name <n@example.com>',
	'"q, r" <q@example.com>',
	'(comment)',
	'group: g@example.com;',
	'[1.2.3.4]',
	'é@example.com',
	'\\',
	'<',
	'>',
	'"',
	':',
	'=?UTF-8?Q?x?=@example.com',
	'\u0001',
];
const GLUE = [',', ', ', ';', ' ', '\r\n ', ',\r\n\t', ',,', '', '\t;\t'];

/** Mulberry32: a small seeded generator, so a failure names a value that can be replayed. */
function random(seed: number): () => number {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

describe('parseAddressList', () => {
	it('splits a bare list itself, with addressparser’s result', () => {
		const value = 'a@example.com, b@example.com;c@example.com,\r\n d@example.com ,, ';
		expect(bareAddrSpecs(value)).toEqual([
			{ address: 'a@example.com', name: '' },
			{ address: 'b@example.com', name: '' },
			{ address: 'c@example.com', name: '' },
			{ address: 'd@example.com', name: '' },
		]);
		expect(parseAddressList(value)).toEqual(addressparser(value));
	});

	it.each([
		['a display name', 'Alice <a@example.com>'],
		['a quoted local part', '"a b"@example.com'],
		['two @', 'a@b@example.com'],
		['an empty local part', '@example.com'],
		['an empty domain', 'a@'],
		['no @', 'postmaster'],
		['two addresses without a separator', 'a@example.com b@example.com'],
		['a comment', 'a@example.com (Alice)'],
		['a group', 'team: a@example.com;'],
		['a domain literal', 'a@[192.0.2.1]'],
		['non-ASCII', 'é@example.com'],
		['a control character', 'a@exa\u0001mple.com'],
	])('leaves %s to addressparser', (_about, value) => {
		expect(bareAddrSpecs(value)).toBeUndefined();
		expect(parseAddressList(value)).toEqual(addressparser(value));
	});

	it('agrees with addressparser on 5,000 random address-like values', () => {
		const next = random(20261201);
		const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
		let fast = 0;
		for (let i = 0; i < 5_000; i++) {
			const pieces: string[] = [];
			const count = 1 + Math.floor(next() * 5);
			// Mostly bare addresses, so the fast path is exercised as often as the fallback.
			for (let p = 0; p < count; p++)
				pieces.push(next() < 0.7 ? pick(FRAGMENTS.slice(0, 4)) : pick(FRAGMENTS), pick(GLUE));
			const value = pieces.join('');
			if (bareAddrSpecs(value)) fast++;
			expect({ value, parsed: parseAddressList(value) }).toEqual({
				value,
				parsed: addressparser(value),
			});
		}
		expect(fast).toBeGreaterThan(500);
	});
});
