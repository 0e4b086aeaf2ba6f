import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { parseHeaderDate, toUtcIso } from '../../../lib/mail/dates';

describe('parseHeaderDate', () => {
	it.each([
		['Tue, 05 Mar 2024 09:15:00 +0100', '2024-03-05T08:15:00Z'],
		['Tue, 5 Mar 2024 09:15:00 -0500', '2024-03-05T14:15:00Z'],
		['Tue, 05 Mar 2024 09:15:00 +0100 (CET)', '2024-03-05T08:15:00Z'],
		['Tue, 05 Mar 2024 09:15:00 +0100 CET', '2024-03-05T08:15:00Z'],
		['Tue,  5 Mar 2024 09:15:00 GMT', '2024-03-05T09:15:00Z'],
		['Tue, 5 Mar 2024 09:15:00 UT', '2024-03-05T09:15:00Z'],
		['Tue, 05 Mar 2024 09:15:00 EST', '2024-03-05T14:15:00Z'],
		['5 Mar 2024 09:15 +0000', '2024-03-05T09:15:00Z'],
		['Tue, 05 Mar 2024 09:15 +0530', '2024-03-05T03:45:00Z'],
		['Sat, 31 Dec 2022 23:30:00 -0130', '2023-01-01T01:00:00Z'],
		['Tue, 05 Mar 24 09:15:00 +0000', '2024-03-05T09:15:00Z'],
		['2024-03-05T09:15:00+01:00', '2024-03-05T08:15:00Z'],
		['2024-03-05T09:15:00Z', '2024-03-05T09:15:00Z'],
		// zone-less forms are read as UTC, whatever the machine's time zone
		['Tuesday, March 5, 2024 9:15 AM', '2024-03-05T09:15:00Z'],
		['2024-03-05 09:15:00', '2024-03-05T09:15:00Z'],
	])('%s -> %s', (header, iso) => {
		expect(parseHeaderDate(header)).toBe(iso);
	});

	it.each([
		undefined,
		'',
		'the day after tomorrow, around noon',
		'Tue, 5 Mar 2024 25:61:00 +0000',
		'Mon, 1 Jan 1900 00:00:00 +0000',
		'Thu, 01 Jan 1970 00:30:00 +0100',
		'0',
	])('%p is not a usable date', (header) => {
		expect(parseHeaderDate(header)).toBeUndefined();
	});

	it.each([
		['Tue, 05 Mar 2024 09:15:00 +0100 (CET (Central European Time))', '2024-03-05T08:15:00Z'],
		['Tue, 05 Mar 2024 (a \\) still a comment) 09:15:00 +0100', '2024-03-05T08:15:00Z'],
		['Tue, 05 Mar 2024 09:15:00 +0100 (CET', '2024-03-05T08:15:00Z'],
	])('comments: nested, quoted pair, unclosed: %s', (header, iso) => {
		expect(parseHeaderDate(header)).toBe(iso);
	});

	it('a header of 1 MB of "(" is no date (the caller falls back to the received time)', () => {
		// `/\([^)]*\)/g` scanned to the end from every "(": ~2 s for 40 KB, growing with the square.
		expect(parseHeaderDate('('.repeat(1024 * 1024))).toBeUndefined();
	});

	it('a date followed by 1 MB of "(" is still read: the unclosed comment is dropped', () => {
		expect(parseHeaderDate(`Tue, 05 Mar 2024 09:15:00 +0100 ${'('.repeat(1024 * 1024)}`)).toBe(
			'2024-03-05T08:15:00Z',
		);
	});

	it('1 MB of digits and spaces is no date (never handed to the general parsers)', () => {
		expect(parseHeaderDate('1 '.repeat(512 * 1024))).toBeUndefined();
	});

	it('gives the same answer in any machine time zone', () => {
		// TZ must be set before Node starts (Jest sandboxes process.env), so each zone runs in a
		// child Node that compiles dates.ts on the fly with the TypeScript compiler.
		const source = path.resolve(__dirname, '../../../lib/mail/dates.ts');
		const script = `
			const ts = require('typescript');
			const Module = require('node:module');
			const file = ${JSON.stringify(source)};
			const js = ts.transpileModule(require('node:fs').readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
			const m = new Module(file);
			m.filename = file;
			m.paths = Module._nodeModulePaths(require('node:path').dirname(file));
			m._compile(js, file);
			const headers = ['Tuesday, March 5, 2024 9:15 AM', '2024-03-05 09:15:00', 'Tue, 05 Mar 2024 09:15:00 +0100'];
			console.log(JSON.stringify({ offset: new Date(2024, 0, 1).getTimezoneOffset(), dates: headers.map(m.exports.parseHeaderDate) }));`;
		const answers = ['UTC', 'America/Los_Angeles', 'Asia/Tokyo'].map((zone) => {
			const run = spawnSync(process.execPath, ['-e', script], {
				cwd: path.resolve(__dirname, '../../..'),
				env: { ...process.env, TZ: zone },
				encoding: 'utf8',
			});
			if (run.status !== 0) throw new Error(run.stderr);
			return JSON.parse(run.stdout) as { offset: number; dates: string[] };
		});
		expect(answers.map((answer) => answer.offset)).toEqual([0, 480, -540]); // the zones really differed
		expect(answers[0].dates).toEqual([
			'2024-03-05T09:15:00Z',
			'2024-03-05T09:15:00Z',
			'2024-03-05T08:15:00Z',
		]);
		expect(answers[1].dates).toEqual(answers[0].dates);
		expect(answers[2].dates).toEqual(answers[0].dates);
	});
});

describe('toUtcIso', () => {
	it('normalizes Dates and ISO strings to UTC without milliseconds when zero', () => {
		expect(toUtcIso(new Date('2024-03-05T09:15:00+01:00'))).toBe('2024-03-05T08:15:00Z');
		expect(toUtcIso('2024-03-05T09:15:00.250+01:00')).toBe('2024-03-05T08:15:00.250Z');
		expect(toUtcIso('2024-03-05T08:15:00.000Z')).toBe('2024-03-05T08:15:00Z');
		expect(toUtcIso('2024-03-05T08:15:00Z')).toBe('2024-03-05T08:15:00Z');
	});

	it('rejects what is not a date', () => {
		expect(() => toUtcIso('yesterday')).toThrow(RangeError);
		expect(() => toUtcIso('2024-02-30T00:00:00Z')).toThrow(RangeError);
		expect(() => toUtcIso(new Date(Number.NaN))).toThrow(/not a valid date/);
	});
});
