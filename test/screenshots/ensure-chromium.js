#!/usr/bin/env node
// Makes sure Debian's Chromium is on this machine for `npm run screenshots` (playwright-core drives
// /usr/bin/chromium; no browser is downloaded). test/system/ensure-debian.js does the installing.
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { ensureDebianPackages } = require('../system/ensure-debian');

const CHROMIUM = '/usr/bin/chromium';

function ensureChromiumInstalled() {
	ensureDebianPackages({
		name: 'Chromium',
		packages: ['chromium'],
		present: () => fs.existsSync(CHROMIUM),
		why: 'npm run screenshots takes the README pictures with headless Chromium from Debian.',
	});
}

module.exports = { ensureChromiumInstalled, CHROMIUM };

if (require.main === module) {
	try {
		const before = fs.existsSync(CHROMIUM);
		const started = Date.now();
		ensureChromiumInstalled();
		const version = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout.trim();
		console.error(
			before ? `${version} present` : `${version} installed in ${Date.now() - started} ms`,
		);
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
