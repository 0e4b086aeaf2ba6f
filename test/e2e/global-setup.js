// Jest global setup for the real-n8n tests: installs n8n into the e2e cache when missing
// (several minutes the first time, then reused) and builds, packs and installs the pack once
// for the whole run. Test files find the prepared pack through EMAIL_INTEL_E2E_PACK_DIR.
require('../helpers/register-ts');
const { ensureN8n } = require('./install.ts');
const { preparePack } = require('./pack.ts');
const { migratedDatabase } = require('./harness.ts');
const { ensureQueueServersInstalled } = require('../system/ensure-queue-servers');

module.exports = async function globalSetup() {
	// The queue-mode test needs PostgreSQL and Redis (apt-get when root; never a silent skip).
	ensureQueueServersInstalled();
	const install = await ensureN8n();
	process.stderr.write(
		`\n[e2e] n8n ${install.version} on Node 24 from ${install.dir}${install.installSeconds ? ` (installed in ${install.installSeconds.toFixed(0)} s)` : ' (cached)'}\n`,
	);
	const started = Date.now();
	const pack = await preparePack();
	process.stderr.write(
		`[e2e] pack built, packed and installed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${pack.tarball}\n`,
	);
	const migrating = Date.now();
	await migratedDatabase(install);
	process.stderr.write(
		`[e2e] migrated database template made in ${((Date.now() - migrating) / 1000).toFixed(1)} s\n`,
	);
};
