import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm test -- <args>` (test/run-tests.js): what a user or CI reads is the exit code and the
 * final "N passed, N failed" line. Every case here either stops before Jest runs or names
 * the unit suite and one small file: none of them starts the real-n8n suite.
 */
const root = path.resolve(__dirname, '..');
let reports: string;

beforeAll(() => {
	reports = fs.mkdtempSync(path.join(os.tmpdir(), 'run-tests-'));
});
afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

function runTests(...args: string[]) {
	const result = spawnSync(process.execPath, [path.join(root, 'test/run-tests.js'), ...args], {
		cwd: root,
		encoding: 'utf8',
		env: { ...process.env, EMAIL_INTEL_TEST_REPORTS: reports },
	});
	const lines = result.stdout.trim().split('\n');
	return {
		status: result.status,
		last: lines[lines.length - 1],
		stdout: result.stdout,
		stderr: result.stderr,
	};
}

test.each([
	['--json', '"--json" is set by this script'],
	['--outputFile=x.json', '"--outputFile=x.json" is set by this script'],
	['--no-such-flag', 'unknown option "--no-such-flag"'],
	['--frobnicate', 'unknown option "--frobnicate"'],
	['-t', '"-t" needs a value'],
])('%s fails loudly before any suite runs', (arg, message) => {
	const result = runTests(arg);
	expect(result.status).toBe(2);
	expect(result.stderr).toContain(message);
	expect(result.stdout).not.toContain('=== ');
	expect(result.last).toBe('0 passed, 1 failed');
});

test('a test path that matches no file fails instead of passing on zero tests', () => {
	const result = runTests('test/no/such/file.test.ts');
	expect(result.status).toBe(2);
	expect(result.stderr).toContain('no test file matches');
	expect(result.stdout).not.toContain('=== ');
});

test('a test path runs that file only, and the summary counts its tests', () => {
	const result = runTests('unit', 'test/lib/opencti/version.test.ts');
	expect(result.status).toBe(0);
	expect(result.stdout).toContain('=== unit tests ===');
	expect(result.stdout).not.toContain('=== e2e tests ===');
	expect(result.last).toMatch(/^[1-9]\d* passed, 0 failed$/);
});

test('a name filter that selects no test is a failure, not a green run', () => {
	const result = runTests(
		'unit',
		'test/lib/opencti/version.test.ts',
		'-t',
		'no test has this name',
	);
	expect(result.status).toBe(1);
	expect(result.stderr).toContain('no test ran');
	expect(result.last).toBe('0 passed, 0 failed');
});
