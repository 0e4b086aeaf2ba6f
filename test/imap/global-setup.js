// Jest global setup: the suite has real-Dovecot tests, so Dovecot must be on this machine.
// Installs it when root and missing; otherwise the run fails here with the install command
// (a Dovecot-backed test never skips). Each test file starts its own server (dovecot.ts).
const { ensureDovecotInstalled } = require('./ensure-dovecot');
const { ensureQueueServersInstalled } = require('../system/ensure-queue-servers');
// The ClamAV tests start a real clamd (test/clamav/clamd.ts) and never skip either.
const { ensureClamdInstalled } = require('../clamav/ensure-clamd');
// The sending tests submit through a real Postfix delivering into Dovecot over LMTP.
const { ensurePostfixInstalled } = require('../mta/ensure-postfix');

module.exports = async function globalSetup() {
	ensureDovecotInstalled();
	ensureClamdInstalled();
	ensurePostfixInstalled();
	// test/system/queue-servers.test.ts starts the queue-mode PostgreSQL and Redis.
	ensureQueueServersInstalled();
};
