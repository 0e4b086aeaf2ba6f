#!/usr/bin/env node
// Makes sure a Dovecot 2.3 binary is on this machine (README "Tests against a real Dovecot").
// Used by the Jest global setup, by `npm test` and by .ci/run (test/system/ensure-debian.js does
// the installing).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { commandWorks, ensureDebianPackages } = require('../system/ensure-debian');

const PACKAGES = ['dovecot-core', 'dovecot-imapd', 'openssl'];
const INSTALL_HINT = `apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`;
const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';

function installed() {
	return fs.existsSync(DOVECOT) && fs.existsSync(DOVEADM) && commandWorks('openssl', ['version']);
}

/** Installs Dovecot when root and missing; otherwise throws an Error naming the install command. */
function ensureDovecotInstalled() {
	ensureDebianPackages({
		name: 'Dovecot',
		packages: PACKAGES,
		present: installed,
		why: 'The IMAP tests need a real Dovecot on loopback and never skip.',
	});
}

module.exports = { ensureDovecotInstalled, INSTALL_HINT };

if (require.main === module) {
	try {
		const before = installed();
		const started = Date.now();
		ensureDovecotInstalled();
		const version = spawnSync(DOVECOT, ['--version'], { encoding: 'utf8' }).stdout.trim();
		console.error(
			before
				? `dovecot ${version} present`
				: `dovecot ${version} installed in ${Date.now() - started} ms`,
		);
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
