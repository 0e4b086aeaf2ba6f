#!/usr/bin/env node
// `npm test`: the whole suite. Makes sure Dovecot is installed (apt-get when root), runs the
// unit + real-Dovecot Jest suite, then the real-n8n suite (which installs n8n 2.41.1 on
// Node 24 into a cache on first use). Ends with one "N passed, N failed" line.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const reports = path.join(root, '.cache');
fs.mkdirSync(reports, { recursive: true });
const only = process.argv.slice(2); // `npm test -- unit` or `npm test -- e2e`

function run(command, args) {
	const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
	return result.status ?? 1;
}

const ensure = run(process.execPath, [path.join(root, 'test/imap/ensure-dovecot.js')]);
if (ensure !== 0) process.exit(ensure);

const jest = path.join(root, 'node_modules/jest/bin/jest.js');
const suites = [
	{ name: 'unit', args: ['-c', 'jest.config.js'] },
	{ name: 'e2e', args: ['-c', 'jest.e2e.config.js', '--runInBand'] },
].filter((suite) => only.length === 0 || only.includes(suite.name));

let passed = 0;
let failed = 0;
let exitCode = 0;
for (const suite of suites) {
	const report = path.join(reports, `jest-${suite.name}.json`);
	fs.rmSync(report, { force: true });
	console.log(`\n=== ${suite.name} tests ===`);
	const status = run(process.execPath, [jest, ...suite.args, '--json', `--outputFile=${report}`]);
	if (status !== 0) exitCode = status;
	if (fs.existsSync(report)) {
		const summary = JSON.parse(fs.readFileSync(report, 'utf8'));
		passed += summary.numPassedTests;
		failed += summary.numFailedTests + (summary.numRuntimeErrorTestSuites || 0);
		if (summary.numTotalTests === 0) {
			console.error(`${suite.name}: no test ran`);
			exitCode = exitCode || 1;
		}
	} else {
		failed += 1;
	}
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(exitCode || (failed > 0 ? 1 : 0));
