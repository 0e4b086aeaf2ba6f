// Jest global teardown for the real-n8n tests: removes this run's packed pack (the n8n install
// stays in the cache for the next run).
require('../helpers/register-ts');
const { removePack } = require('./pack.ts');

module.exports = async function globalTeardown() {
	removePack();
};
