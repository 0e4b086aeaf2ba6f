#!/usr/bin/env node
// Makes sure clamd (Debian `clamav-daemon`) and sigtool are on this machine for the ClamAV tests
// and the scan benchmark (test/clamav/clamd.ts starts a throwaway clamd with a database the test
// writes; nothing is downloaded, freshclam never runs). Used by the Jest global setup, by
// `npm test` and by .ci/run (test/system/ensure-debian.js does the installing).
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { ensureDebianPackages } = require('../system/ensure-debian');

const PACKAGES = ['clamav-daemon', 'clamav'];
const CLAMD = '/usr/sbin/clamd';
const SIGTOOL = '/usr/bin/sigtool';

function installed() {
	return fs.existsSync(CLAMD) && fs.existsSync(SIGTOOL);
}

/** Installs clamd when root and missing; otherwise throws an Error naming the install command. */
function ensureClamdInstalled() {
	ensureDebianPackages({
		name: 'clamd',
		packages: PACKAGES,
		present: installed,
		why: 'The ClamAV engine and node tests need a real clamd on loopback and never skip.',
	});
}

module.exports = { ensureClamdInstalled, CLAMD };

if (require.main === module) {
	try {
		const before = installed();
		const started = Date.now();
		ensureClamdInstalled();
		const version = spawnSync(CLAMD, ['--version'], { encoding: 'utf8' }).stdout.trim();
		console.error(
			before ? `${version} present` : `${version} installed in ${Date.now() - started} ms`,
		);
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
