#!/usr/bin/env node
// Makes sure the Debian packages a real-server test needs are on this machine (Dovecot, clamd,
// Postfix, ...). Used by the Jest global setups, by `npm test` and by .ci/run. As root it installs
// them with apt-get; otherwise it fails with the command to run. A real-server test never skips
// silently: without its server the run stops here with that message.
//
// Several harnesses may install at once (parallel Jest projects, a second terminal): apt waits
// for dpkg's lock instead of failing on it.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const POLICY = '/usr/sbin/policy-rc.d';
const LOCK_TIMEOUT_S = '600';

function apt(args) {
	const run = spawnSync('apt-get', ['-o', `DPkg::Lock::Timeout=${LOCK_TIMEOUT_S}`, ...args], {
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

/**
 * @param {object} spec
 * @param {string} spec.name what the tests need, for messages ("Dovecot", "clamd")
 * @param {string[]} spec.packages Debian packages to install
 * @param {() => boolean} spec.present true when everything needed is there
 * @param {string} spec.why one sentence: which tests need it
 * Installs when root and missing; otherwise throws an Error naming the install command.
 */
function ensureDebianPackages({ name, packages, present, why }) {
	if (present()) return;
	const hint = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
	const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	if (!isRoot) {
		throw new Error(`${name} is not installed: run \`${hint}\` (as root). ${why}`);
	}
	// A package would start its system service (Dovecot on 0.0.0.0:143, Postfix on :25, ...);
	// a policy-rc.d that exits 101 forbids that: tests start their own throwaway servers.
	// Create it only if absent, and remove only what we created.
	let createdPolicy = false;
	if (!fs.existsSync(POLICY)) {
		fs.writeFileSync(POLICY, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
		createdPolicy = true;
	}
	try {
		const installArgs = ['install', '-y', '--no-install-recommends', ...packages];
		let result = apt(installArgs);
		if (!result.ok) {
			// Stale package lists are the usual cause on a fresh machine.
			apt(['update']);
			result = apt(installArgs);
		}
		if (!result.ok || !present()) {
			const tail = result.output.split('\n').slice(-15).join('\n');
			throw new Error(
				`${name} could not be installed with apt-get (${result.error ? result.error.message : 'exit status non-zero'}).\n${tail}\nInstall it by hand: \`${hint}\` (as root).`,
			);
		}
	} finally {
		if (createdPolicy) fs.rmSync(POLICY, { force: true });
	}
}

function commandWorks(command, args) {
	return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

module.exports = { ensureDebianPackages, commandWorks };
