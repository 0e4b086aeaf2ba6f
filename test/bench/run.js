#!/usr/bin/env node
// `npm run bench [-- --json] [-- name...]`: compiles the TypeScript benchmarks and runs each
// `test/bench/*.bench.ts` in its own Node process (so one benchmark's heap never skews the
// next). Each benchmark prints one JSON line of figures on stdout; `--json` prints only those.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.filter((arg) => !arg.startsWith('--'));
const out = path.join(root, '.bench/build');

execFileSync(
	process.execPath,
	[
		require.resolve('typescript/bin/tsc'),
		'-p',
		'tsconfig.json',
		'--outDir',
		out,
		'--noEmit',
		'false',
		'--declaration',
		'false',
		'--sourceMap',
		'false',
	],
	{
		cwd: root,
		stdio: 'inherit',
	},
);

// Files tsc does not copy, next to the compiled modules that read them: plain-JS helpers
// (test/imap/ensure-dovecot.js, test/system/ensure-debian.js) and the OpenCTI fake's vendored
// schema. The fake looks for the schema from the nearest package.json up, and tsc emits one
// into the build (lib/http imports it), so the schema must be in the build too.
function copyAssets(from, to, extensions) {
	for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
		if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
		const source = path.join(from, entry.name);
		if (entry.isDirectory()) copyAssets(source, path.join(to, entry.name), extensions);
		else if (extensions.some((extension) => entry.name.endsWith(extension))) {
			fs.mkdirSync(to, { recursive: true });
			fs.copyFileSync(source, path.join(to, entry.name));
		}
	}
}
copyAssets(path.join(root, 'test/imap'), path.join(out, 'test/imap'), ['.js']);
copyAssets(path.join(root, 'test/clamav'), path.join(out, 'test/clamav'), ['.js']);
copyAssets(path.join(root, 'test/system'), path.join(out, 'test/system'), ['.js']);
copyAssets(path.join(root, 'test/mta'), path.join(out, 'test/mta'), ['.js']);
copyAssets(path.join(root, 'test/fakes'), path.join(out, 'test/fakes'), ['.graphql']);
// test/e2e/install.ts finds the cached n8n installs by their locks (test/e2e/n8n, n8n-lts).
copyAssets(path.join(root, 'test/e2e'), path.join(out, 'test/e2e'), [
	'package.json',
	'package-lock.json',
]);

// The IMAP benchmark compares our node with n8n's own Email Trigger, which runs on the Node of
// the e2e n8n install (Node 24, what n8n 2.41 runs on). Ours and the bound run on that Node
// too, so the three are compared on one runtime; without the install, on this Node.
const { cachedN8n } = require(path.join(out, 'test/e2e/install.js'));
const n8nNode = cachedN8n()?.nodeBin;
const runtimeFor = (file) =>
	(file.startsWith('imap-ingest') || file.startsWith('imap-events')) && n8nNode
		? n8nNode
		: process.execPath;

const benches = fs
	.readdirSync(__dirname)
	.filter((file) => file.endsWith('.bench.ts'))
	.filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
	.sort();

let failed = 0;
for (const file of benches) {
	const compiled = path.join(out, 'test/bench', file.replace(/\.ts$/, '.js'));
	const runtime = runtimeFor(file);
	if (!json)
		console.error(`# ${file} on Node ${execFileSync(runtime, ['--version']).toString().trim()}`);
	const run = spawnSync(runtime, ['--expose-gc', compiled, ...(json ? ['--json'] : [])], {
		cwd: root,
		stdio: ['ignore', 'pipe', json ? 'pipe' : 'inherit'],
		// EMAIL_INTEL_REPO_ROOT: the real-n8n benchmarks build and pack the pack from the
		// repository, not from this compiled copy (test/e2e/pack.ts).
		env: {
			...process.env,
			NODE_PATH: path.join(root, 'node_modules'),
			EMAIL_INTEL_REPO_ROOT: root,
		},
		maxBuffer: 64 * 1024 * 1024,
	});
	const lines = run.stdout
		.toString()
		.split('\n')
		.filter((line) => line.trim().startsWith('{'));
	for (const line of lines) console.log(line);
	if (run.status !== 0) {
		failed++;
		console.error(`benchmark ${file} failed (exit ${run.status})`);
		if (json && run.stderr) process.stderr.write(run.stderr);
	}
}
process.exit(failed ? 1 : 0);
