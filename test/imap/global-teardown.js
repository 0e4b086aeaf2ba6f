// Jest global teardown: every test file stops its own Dovecot (which removes its lab folder);
// here only the shared test/.lab folder goes, once nothing is left in it. Folders of a run that
// is still going (another jest process) are left alone.
const fs = require('node:fs');
const path = require('node:path');

module.exports = async function globalTeardown() {
	const labRoot = path.resolve(__dirname, '..', '.lab');
	try {
		fs.rmdirSync(labRoot);
	} catch {
		// absent or still in use
	}
};
