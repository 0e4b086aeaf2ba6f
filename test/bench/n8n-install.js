// The e2e n8n install in the cache (test/e2e/install.ts makes it), as the benchmarks use it:
// its n8n-nodes-base for the n8n baseline, and its Node 24 binary, the Node n8n 2.41 runs on.
// Plain JS: the bench runner needs it before anything is compiled.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** { dir, nodeBin } of a complete install, or undefined when `npm run test:e2e` never ran here. */
function n8nInstallForBench() {
	const cache = process.env.EMAIL_INTEL_CACHE_DIR
		? path.resolve(process.env.EMAIL_INTEL_CACHE_DIR)
		: path.join(
				process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
				'n8n-nodes-email-intel',
			);
	if (!fs.existsSync(cache)) return undefined;
	for (const name of fs.readdirSync(cache)) {
		const dir = path.join(cache, name);
		if (!fs.existsSync(path.join(dir, '.install-complete'))) continue;
		const nodeBin = path.join(
			dir,
			'node_modules',
			`node-${process.platform}-${process.arch}`,
			'bin',
			'node',
		);
		if (fs.existsSync(nodeBin)) return { dir, nodeBin };
	}
	return undefined;
}

module.exports = { n8nInstallForBench };
