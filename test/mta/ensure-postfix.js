#!/usr/bin/env node
// Makes sure Postfix and Dovecot's LMTP server are on this machine: the sending tests submit
// through a real Postfix that delivers into the test Dovecot over LMTP (test/mta/postfix.ts).
// Used by the Jest global setup and by .ci/run (test/system/ensure-debian.js does the installing;
// its policy-rc.d keeps the package from starting a system Postfix on :25).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { ensureDebianPackages } = require('../system/ensure-debian');

// dovecot-lmtpd: Postfix hands each message to Dovecot's lmtp service, which stores it in the
// user's Maildir as a real delivery would (dovecot-core alone has no LMTP server).
const PACKAGES = ['postfix', 'dovecot-lmtpd'];
const POSTFIX = '/usr/sbin/postfix';
const DOVECOT_LMTP = '/usr/lib/dovecot/lmtp';

function installed() {
	return fs.existsSync(POSTFIX) && fs.existsSync(DOVECOT_LMTP);
}

/** Installs Postfix + dovecot-lmtpd when root and missing; otherwise throws naming the install command. */
function ensurePostfixInstalled() {
	ensureDebianPackages({
		name: 'Postfix (with dovecot-lmtpd)',
		packages: PACKAGES,
		present: installed,
		why: 'The sending tests submit mail through a real Postfix that delivers into Dovecot over LMTP, and never skip.',
	});
}

module.exports = { ensurePostfixInstalled };

if (require.main === module) {
	try {
		const before = installed();
		const started = Date.now();
		ensurePostfixInstalled();
		const version = spawnSync('/usr/sbin/postconf', ['-d', '-h', 'mail_version'], {
			encoding: 'utf8',
		}).stdout.trim();
		console.error(
			before
				? `postfix ${version} present`
				: `postfix ${version} installed in ${Date.now() - started} ms`,
		);
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
