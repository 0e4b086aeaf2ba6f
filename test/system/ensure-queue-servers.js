#!/usr/bin/env node
// Makes sure PostgreSQL and Redis from Debian are on this machine: n8n's queue mode (README
// "Queue mode") needs both, and test/e2e/queue-mode.e2e.test.ts starts a throwaway server of
// each (test/e2e/queue/). Used by the e2e Jest global setup, by `npm test` and by .ci/run
// (test/system/ensure-debian.js does the installing; as root, never a silent skip).
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ensureDebianPackages } = require('./ensure-debian');

const PACKAGES = ['postgresql', 'redis-server'];
const POSTGRES_ROOT = '/usr/lib/postgresql';
const REDIS = '/usr/bin/redis-server';

/** The newest PostgreSQL major installed: its bin folder (initdb, postgres), or undefined. */
function postgresBinDir() {
	if (!fs.existsSync(POSTGRES_ROOT)) return undefined;
	const majors = fs
		.readdirSync(POSTGRES_ROOT)
		.filter((name) => /^\d+$/.test(name))
		.sort((a, b) => Number(b) - Number(a));
	for (const major of majors) {
		const bin = path.join(POSTGRES_ROOT, major, 'bin');
		if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'postgres')))
			return bin;
	}
	return undefined;
}

/** PostgreSQL refuses to run as root: the package's `postgres` account runs it (runuser). */
function postgresAccountExists() {
	return spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status === 0;
}

function installed() {
	return postgresBinDir() !== undefined && postgresAccountExists() && fs.existsSync(REDIS);
}

/** Installs PostgreSQL and Redis when root and missing; otherwise throws with the install command. */
function ensureQueueServersInstalled() {
	ensureDebianPackages({
		name: 'PostgreSQL and Redis',
		packages: PACKAGES,
		present: installed,
		why: "The queue-mode e2e test runs n8n's main, workers and webhook processor on a real PostgreSQL and Redis and never skips.",
	});
	return { postgresBinDir: postgresBinDir(), redisServer: REDIS };
}

module.exports = { ensureQueueServersInstalled, postgresBinDir, REDIS };

if (require.main === module) {
	try {
		const before = installed();
		const started = Date.now();
		const found = ensureQueueServersInstalled();
		console.error(
			`PostgreSQL (${found.postgresBinDir}) and Redis (${found.redisServer}) ${before ? 'present' : `installed in ${Date.now() - started} ms`}`,
		);
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
