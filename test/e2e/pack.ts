// The pack as users get it: `npm run build`, `npm pack`, then installed into an n8n user folder
// the way n8n's Community Nodes installer does it (n8n 2.x CommunityPackagesService: the
// tarball is extracted to <userFolder>/.n8n/nodes/node_modules/<name>, devDependencies,
// peerDependencies and optionalDependencies are removed from its package.json, and its runtime
// dependencies are installed inside it with `npm install --install-strategy=shallow
// --ignore-scripts=true --package-lock=false ...`; see downloadPackage() in n8n's
// modules/community-packages/community-packages.service).
//
// Build + pack + dependency install happen once per test run into a run folder; each user
// folder then gets a copy of the installed package (a copy, not a link: n8n resolves the
// package's real path and its requires from there).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The repository: two folders up from here, or EMAIL_INTEL_REPO_ROOT when this file runs from a
 * compiled copy elsewhere (the benchmarks run from .bench/build, test/bench/run.js sets it).
 */
export const REPO_ROOT = process.env.EMAIL_INTEL_REPO_ROOT ?? path.resolve(__dirname, '..', '..');
export const PACKAGE_NAME = (
	JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string }
).name;

/** Set by the e2e global setup: the folder holding this run's installed pack. */
export const PACK_ENV = 'EMAIL_INTEL_E2E_PACK_DIR';

export interface InstalledPack {
	/** the `npm pack` tarball */
	tarball: string;
	/** <dir>/node_modules/<name> is the installed package, ready to copy into a user folder */
	dir: string;
}

let pending: Promise<InstalledPack> | undefined;

/**
 * Builds, packs and installs the pack once per test run (reused from PACK_ENV when the global
 * setup already did it in this run).
 */
export function preparePack(): Promise<InstalledPack> {
	const existing = process.env[PACK_ENV];
	if (existing && fs.existsSync(path.join(existing, 'pack.json'))) {
		return Promise.resolve(
			JSON.parse(fs.readFileSync(path.join(existing, 'pack.json'), 'utf8')) as InstalledPack,
		);
	}
	pending ??= buildPackInstall().catch((error: unknown) => {
		pending = undefined;
		throw error;
	});
	return pending;
}

async function buildPackInstall(): Promise<InstalledPack> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'email-intel-pack-'));
	// Removed when the process that made it exits (the Jest parent, for a test run).
	process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
	process.stderr.write(`[e2e] building and packing ${PACKAGE_NAME} into ${dir}\n`);
	await run('npm', ['run', 'build', '--silent'], REPO_ROOT);
	// The build just ran; --ignore-scripts keeps `prepack` from building a second time.
	const packed = await run(
		'npm',
		['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
		REPO_ROOT,
	);
	const [{ filename }] = JSON.parse(packed.slice(packed.indexOf('['))) as Array<{
		filename: string;
	}>;
	const tarball = path.join(dir, filename);

	const target = path.join(dir, 'node_modules', PACKAGE_NAME);
	fs.mkdirSync(target, { recursive: true });
	await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], dir);
	const manifestPath = path.join(target, 'package.json');
	const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
	delete manifest.devDependencies;
	delete manifest.peerDependencies;
	delete manifest.optionalDependencies;
	fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
	await run(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
			'--loglevel=error',
		],
		target,
	);

	const pack: InstalledPack = { tarball, dir };
	fs.writeFileSync(path.join(dir, 'pack.json'), JSON.stringify(pack));
	process.env[PACK_ENV] = dir;
	return pack;
}

/** Copies the installed pack into `<userFolder>/.n8n/nodes/node_modules/<name>`. */
export async function installPackInto(userFolder: string): Promise<void> {
	const pack = await preparePack();
	const nodes = path.join(userFolder, '.n8n', 'nodes');
	const target = path.join(nodes, 'node_modules', PACKAGE_NAME);
	fs.rmSync(target, { recursive: true, force: true });
	fs.mkdirSync(path.dirname(target), { recursive: true });
	fs.cpSync(path.join(pack.dir, 'node_modules', PACKAGE_NAME), target, {
		recursive: true,
		verbatimSymlinks: true,
	});
	// n8n's installer keeps a package.json in nodes/ listing what it installed.
	const manifestPath = path.join(nodes, 'package.json');
	const manifest = fs.existsSync(manifestPath)
		? (JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
				dependencies?: Record<string, string>;
			})
		: { name: 'installed-nodes', private: true, dependencies: {} as Record<string, string> };
	const version = (
		JSON.parse(fs.readFileSync(path.join(target, 'package.json'), 'utf8')) as { version: string }
	).version;
	manifest.dependencies = { ...manifest.dependencies, [PACKAGE_NAME]: version };
	fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
}

/** Removes this run's pack folder (the global teardown calls it). */
export function removePack(): void {
	const dir = process.env[PACK_ENV];
	if (dir && path.basename(dir).startsWith('email-intel-pack-'))
		fs.rmSync(dir, { recursive: true, force: true });
}

function run(command: string, args: string[], cwd: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on(
			'data',
			(chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20000)),
		);
		child.on('error', reject);
		child.on('close', (code) => {
			if (code === 0) resolve(stdout);
			else
				reject(
					new Error(
						`\`${command} ${args.join(' ')}\` in ${cwd} failed (exit ${code}):\n${stdout.slice(-5000)}\n${stderr}`,
					),
				);
		});
	});
}

export interface Declared {
	nodes: string[];
	credentials: string[];
}

/** Node and credential type names of the files package.json's `n8n` field declares, read from the built classes. */
export function declaredTypes(): Declared {
	const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
		n8n: { nodes?: string[]; credentials?: string[] };
	};
	type Instance = { name?: string; description?: { name?: string } } | undefined;
	const namesIn = (file: string, pick: (instance: Instance) => string | undefined): string[] => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports -- built CommonJS files listed in package.json
		const exported = require(path.join(REPO_ROOT, file)) as Record<string, unknown>;
		const names = Object.values(exported)
			.filter((value): value is new () => unknown => typeof value === 'function')
			.map((Class) => pick(new Class() as Instance))
			.filter((name): name is string => typeof name === 'string');
		if (names.length === 0)
			throw new Error(`${file} (listed in package.json "n8n") exports no node/credential class`);
		return names;
	};
	return {
		nodes: (manifest.n8n.nodes ?? []).flatMap((file) =>
			namesIn(file, (node) => node?.description?.name),
		),
		credentials: (manifest.n8n.credentials ?? []).flatMap((file) =>
			namesIn(file, (credential) => credential?.name),
		),
	};
}
