#!/usr/bin/env node
// `npm run dev`: a real n8n 2.41.1 on http://127.0.0.1:5678 with this pack installed as a
// community package, in the foreground with its log. It builds and packs the pack, installs n8n
// into the e2e cache when missing (several minutes the first time), installs the pack into a
// persistent user folder (~/.n8n-email-intel-dev), imports examples/*.json that are new or
// changed, and sets up an owner on first start. Ctrl-C stops n8n and everything it started.
//
// Environment: EMAIL_INTEL_DEV_DIR (user folder), EMAIL_INTEL_DEV_PORT (default 5678); any
// N8N_*, DB_*, WEBHOOK_URL or EXECUTIONS_* variable you set is passed to n8n and wins.
require('../helpers/register-ts');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ensureN8n, OWNER, preparePack, startN8n } = require('./harness.ts');
const { removePack, REPO_ROOT } = require('./pack.ts');

const userFolder = path.resolve(
	process.env.EMAIL_INTEL_DEV_DIR || path.join(os.homedir(), '.n8n-email-intel-dev'),
);
const port = Number(process.env.EMAIL_INTEL_DEV_PORT || 5678);
const examplesDir = path.join(REPO_ROOT, 'examples');
/** which example files were imported, by content hash: re-imported only when they change */
const importedFile = path.join(userFolder, '.imported-examples.json');

function userEnv() {
	return Object.fromEntries(
		Object.entries(process.env).filter(([name]) =>
			/^(N8N_|DB_|EXECUTIONS_|WEBHOOK_URL$|GENERIC_TIMEZONE$)/.test(name),
		),
	);
}

function examplesToImport() {
	if (!fs.existsSync(examplesDir)) return { workflows: [], hashes: {} };
	const imported = fs.existsSync(importedFile)
		? JSON.parse(fs.readFileSync(importedFile, 'utf8'))
		: {};
	const hashes = {};
	const workflows = [];
	for (const file of fs
		.readdirSync(examplesDir)
		.filter((name) => name.endsWith('.json'))
		.sort()) {
		const text = fs.readFileSync(path.join(examplesDir, file), 'utf8');
		hashes[file] = createHash('sha256').update(text).digest('hex');
		if (imported[file] !== hashes[file]) workflows.push(JSON.parse(text));
	}
	return { workflows, hashes };
}

async function main() {
	const install = await ensureN8n();
	console.log(`[dev] n8n ${install.version} on Node 24 from ${install.dir}`);
	await preparePack();
	fs.mkdirSync(userFolder, { recursive: true });
	const { workflows, hashes } = examplesToImport();
	if (workflows.length)
		console.log(`[dev] importing ${workflows.length} example workflow(s) from examples/`);

	const n8n = await startN8n({ userFolder, port, workflows, env: userEnv(), echo: true });
	fs.writeFileSync(importedFile, JSON.stringify(hashes, null, 2));
	removePack();

	let stopping = false;
	const stop = async (signal) => {
		if (stopping) return;
		stopping = true;
		console.log(`\n[dev] ${signal}: stopping n8n…`);
		await n8n.stop();
		process.exit(0);
	};
	process.on('SIGINT', () => void stop('SIGINT'));
	process.on('SIGTERM', () => void stop('SIGTERM'));

	console.log(
		[
			'',
			`[dev] n8n with ${require(path.join(REPO_ROOT, 'package.json')).name} is ready: ${n8n.url}`,
			`[dev] sign in as ${OWNER.email} / ${OWNER.password} (the dev owner, created on first start)`,
			`[dev] user folder (workflows, credentials, database): ${userFolder}`,
			'[dev] after changing the pack, stop (Ctrl-C) and run `npm run dev` again to rebuild and reinstall it',
			'',
		].join('\n'),
	);
	const code = await n8n.exited();
	if (!stopping) {
		console.error(`[dev] n8n exited with code ${code}`);
		process.exit(code || 1);
	}
}

main().catch((error) => {
	console.error(`[dev] ${error instanceof Error ? error.stack || error.message : error}`);
	removePack();
	process.exit(1);
});
