// Jest global setup: the suite has real-Dovecot tests, so Dovecot must be on this machine.
// Installs it when root and missing; otherwise the run fails here with the install command
// (a Dovecot-backed test never skips). Each test file starts its own server (dovecot.ts).
const { ensureDovecotInstalled } = require('./ensure-dovecot');
// the sending tests submit through a real Postfix delivering into Dovecot over LMTP
const { ensurePostfixInstalled } = require('../mta/ensure-postfix');

module.exports = async function globalSetup() {
	ensureDovecotInstalled();
	ensurePostfixInstalled();
};
