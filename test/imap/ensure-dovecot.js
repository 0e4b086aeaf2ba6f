#!/usr/bin/env node
// Makes sure a Dovecot 2.3 binary is on this machine (README "Tests against a real Dovecot"). Used by the Jest global
// setup, by `npm test` and by .ci/run. As root it installs the Debian packages with apt-get;
// otherwise it fails with the command to run. A Dovecot-backed test never skips silently:
// without Dovecot the run stops here with that message.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const PACKAGES = ['dovecot-core', 'dovecot-imapd', 'openssl'];
const INSTALL_HINT = `apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`;
const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';
const POLICY = '/usr/sbin/policy-rc.d';

function installed() {
	return fs.existsSync(DOVECOT) && fs.existsSync(DOVEADM) && hasOpenssl();
}

function hasOpenssl() {
	return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

function apt(args) {
	const run = spawnSync('apt-get', args, {
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
		maxBuffer: 64 * 1024 * 1024,
	});
	return {
		ok: run.status === 0,
		output: `${run.stdout || ''}${run.stderr || ''}`,
		error: run.error,
	};
}

/** Installs Dovecot when root and missing; otherwise throws an Error naming the install command. */
function ensureDovecotInstalled() {
	if (installed()) return;
	const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	if (!isRoot) {
		throw new Error(
			`Dovecot is not installed: run \`${INSTALL_HINT}\` (as root). The IMAP tests need a real Dovecot on loopback and never skip.`,
		);
	}
	// The package would start a system Dovecot on 0.0.0.0:143; a policy-rc.d that exits 101
	// forbids that. Create it only if absent, and remove only what we created.
	let createdPolicy = false;
	if (!fs.existsSync(POLICY)) {
		fs.writeFileSync(POLICY, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
		createdPolicy = true;
	}
	try {
		const installArgs = ['install', '-y', '--no-install-recommends', ...PACKAGES];
		let result = apt(installArgs);
		if (!result.ok) {
			// Stale package lists are the usual cause on a fresh machine.
			apt(['update']);
			result = apt(installArgs);
		}
		if (!result.ok || !installed()) {
			const tail = result.output.split('\n').slice(-15).join('\n');
			throw new Error(
				`Dovecot could not be installed with apt-get (${result.error ? result.error.message : 'exit status non-zero'}).\n${tail}\nInstall it by hand: \`${INSTALL_HINT}\` (as root).`,
			);
		}
	} finally {
		if (createdPolicy) fs.rmSync(POLICY, { force: true });
	}
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
