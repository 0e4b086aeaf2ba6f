// Jest global setup for the real-n8n tests: installs both n8n lines into the e2e cache when
// missing (2.41.1 on Node 24 and the 1.x LTS line on Node 20; several minutes the first time,
// then reused) and builds, packs and installs the pack once for the whole run. Test files find the prepared pack through EMAIL_INTEL_E2E_PACK_DIR.
require('../helpers/register-ts');
const { ensureN8n } = require('./install.ts');
const { preparePack } = require('./pack.ts');
const { migratedDatabase } = require('./harness.ts');
const { ensureQueueServersInstalled } = require('../system/ensure-queue-servers');
const { ensureDovecotInstalled } = require('../imap/ensure-dovecot');
const { ensureClamdInstalled } = require('../clamav/ensure-clamd');
const { ensurePostfixInstalled } = require('../mta/ensure-postfix');

module.exports = async function globalSetup() {
	// Real servers the e2e files start (apt-get when root; never a silent skip): Dovecot for the
	// IMAP triggers, clamd for IMAP → ClamAV → Mail Remediation, PostgreSQL and Redis for queue mode,
	// Postfix for mail submitted through a real MTA (imap-events, examples).
	ensureDovecotInstalled();
	ensureClamdInstalled();
	ensureQueueServersInstalled();
	ensurePostfixInstalled();
	const install = await ensureN8n();
	// One after the other: two npm installs at once would fight over the machine's two cores.
	const lts = await ensureN8n('lts');
	for (const each of [install, lts])
		process.stderr.write(
			`\n[e2e] n8n ${each.version} from ${each.dir}${each.installSeconds ? ` (installed in ${each.installSeconds.toFixed(0)} s)` : ' (cached)'}\n`,
		);
	const started = Date.now();
	const pack = await preparePack();
	process.stderr.write(
		`[e2e] pack built, packed and installed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${pack.tarball}\n`,
	);
	const migrating = Date.now();
	await migratedDatabase(install);
	await migratedDatabase(lts);
	process.stderr.write(
		`[e2e] migrated database template made in ${((Date.now() - migrating) / 1000).toFixed(1)} s\n`,
	);
};
