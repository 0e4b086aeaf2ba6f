#!/usr/bin/env node
// `npm test`: the whole suite. Makes sure Dovecot is installed (apt-get when root), runs the
// unit + real-Dovecot Jest suite, then the real-n8n suite (which installs n8n 2.41.1 on
// Node 24 into a cache on first use). Ends with one "N passed, N failed" line.
//
// Arguments: `unit` / `e2e` pick suites; test paths (`test/lib/opencti`) and Jest options
// (`-t <name>`, `--bail`, ...) go to Jest. An option Jest does not know, or one this script
// sets itself (--json, --outputFile, -c), fails loudly before anything runs. A test path
// also picks the suites that hold a matching file (`npm test -- test/lib/opencti` never
// starts n8n). A run in which no test ran fails.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// Where the per-suite JSON reports go (a test of this script points it elsewhere).
const reports = process.env.EMAIL_INTEL_TEST_REPORTS || path.join(root, '.cache');
const jest = path.join(root, 'node_modules/jest/bin/jest.js');
const SUITES = [
	{ name: 'unit', args: ['-c', 'jest.config.js'] },
	{ name: 'e2e', args: ['-c', 'jest.e2e.config.js', '--runInBand'] },
];
/** Set here for every suite (the summary is read from the report file): not for the caller. */
const OWN_OPTIONS = new Set(['config', 'json', 'outputFile', 'listTests']);

function run(command, args, options = {}) {
	return spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env, ...options });
}

function fail(message) {
	console.error(`run-tests: ${message}`);
	console.log('\n0 passed, 1 failed');
	process.exit(2);
}

/**
 * Jest's own option table decides what an option is: Jest itself lets `--no-anything` through
 * (yargs reads it as "anything: false"), so an unknown option is refused here, loudly.
 */
const { yargsOptions } = require('jest-cli');
const optionNames = new Map();
for (const [name, spec] of Object.entries(yargsOptions))
	for (const key of [name, ...[].concat(spec.alias ?? [])]) optionNames.set(key, name);
const camel = (text) => text.replace(/-([a-z])/g, (_, letter) => letter.toUpperCase());

function jestOption(flag) {
	const bare = flag.replace(/^--?/, '').split('=')[0];
	const name = optionNames.get(bare) ?? optionNames.get(camel(bare));
	if (name) return { name, negated: false };
	if (bare.startsWith('no-')) {
		const negated = optionNames.get(bare.slice(3)) ?? optionNames.get(camel(bare.slice(3)));
		if (negated && yargsOptions[negated].type === 'boolean')
			return { name: negated, negated: true };
	}
	return undefined;
}

const named = [];
const jestArgs = [];
let pathPatterns = 0;
const args = process.argv.slice(2);
for (let index = 0; index < args.length; index++) {
	const arg = args[index];
	if (!arg.startsWith('-') || arg === '-') {
		if (SUITES.some((suite) => suite.name === arg)) named.push(arg);
		else {
			jestArgs.push(arg);
			pathPatterns++;
		}
		continue;
	}
	const option = jestOption(arg);
	if (!option)
		fail(`unknown option "${arg}": this script passes options to Jest (see npx jest --help)`);
	if (OWN_OPTIONS.has(option.name))
		fail(
			`"${arg}" is set by this script (each suite's config, its JSON report); run Jest directly for that (npx jest ...)`,
		);
	jestArgs.push(arg);
	// An option that takes a value takes the next argument, unless it came as --name=value.
	const spec = yargsOptions[option.name];
	if (!option.negated && spec.type !== 'boolean' && !arg.includes('=')) {
		if (index + 1 < args.length) jestArgs.push(args[++index]);
		else if (spec.requiresArg) fail(`"${arg}" needs a value`);
	}
}

// Real servers the suites start: Dovecot, clamd, and PostgreSQL + Redis for n8n's queue mode.
for (const ensurer of [
	'test/imap/ensure-dovecot.js',
	'test/clamav/ensure-clamd.js',
	'test/system/ensure-queue-servers.js',
]) {
	const ensure = run(process.execPath, [path.join(root, ensurer)]).status;
	if (ensure !== 0) process.exit(ensure ?? 1);
}

/** The suites' test files that Jest would run with these arguments (no setup runs for a listing). */
function listTests(suite) {
	const result = run(process.execPath, [jest, ...suite.args, ...jestArgs, '--listTests'], {
		stdio: ['ignore', 'pipe', 'inherit'],
		encoding: 'utf8',
	});
	if (result.status !== 0) fail(`Jest refused the arguments ${JSON.stringify(jestArgs)}`);
	return result.stdout.split('\n').filter((line) => line.trim().endsWith('.ts'));
}

let suites = SUITES.filter((suite) => named.length === 0 || named.includes(suite.name));
// A test path narrows the run to the suites that hold a matching file.
const filtered = jestArgs.length > 0;
if (pathPatterns > 0) {
	suites = suites.filter((suite) => listTests(suite).length > 0);
	if (suites.length === 0) fail(`no test file matches ${JSON.stringify(jestArgs)}`);
}

fs.mkdirSync(reports, { recursive: true });
let passed = 0;
let failed = 0;
let total = 0;
let exitCode = 0;
for (const suite of suites) {
	const report = path.join(reports, `jest-${suite.name}.json`);
	fs.rmSync(report, { force: true });
	console.log(`\n=== ${suite.name} tests ===`);
	const status =
		run(process.execPath, [jest, ...suite.args, ...jestArgs, '--json', `--outputFile=${report}`])
			.status ?? 1;
	if (status !== 0) exitCode = status;
	if (fs.existsSync(report)) {
		const summary = JSON.parse(fs.readFileSync(report, 'utf8'));
		passed += summary.numPassedTests;
		failed += summary.numFailedTests + (summary.numRuntimeErrorTestSuites || 0);
		// Tests that ran: a -t filter leaves the others counted in numTotalTests as skipped.
		const ran = summary.numPassedTests + summary.numFailedTests;
		total += ran;
		// Unfiltered, a suite without tests is broken; filtered (-t name), the total decides.
		if (ran === 0 && !filtered) {
			console.error(`${suite.name}: no test ran`);
			exitCode = exitCode || 1;
		}
	} else {
		failed += 1;
		exitCode = exitCode || 1;
	}
}
if (total === 0) {
	console.error('run-tests: no test ran');
	exitCode = exitCode || 1;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(exitCode || (failed > 0 ? 1 : 0));
