// The real-n8n harness for e2e tests (recipe: README "Where n8n comes from"). n8n 2.41.1 runs on
// Node 24 from the e2e cache (install.ts), the pack is installed into each user folder the way
// n8n's Community Nodes installer does it (pack.ts), and every instance gets its own user folder,
// SQLite database and free ports, so instances never share state.
//
//   const n8n = await startN8n({ workflows: [wf], publish: [wf.id] });
//   const [run] = await n8n.waitForExecutions(wf.id, 1);
//   await n8n.stop();
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureN8n, type N8nInstall, type N8nLine } from './install';
import { installPackInto, PACKAGE_NAME, preparePack } from './pack';
import { freePorts, spawnGroup, type Spawned } from './processes';

export { ensureN8n, type N8nInstall, type N8nLine } from './install';

/**
 * A JSON value as n8n returns it (API bodies, run data). Deliberately untyped: n8n's payloads
 * differ by version and node, and the tests assert on the shape they expect.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export { preparePack, PACKAGE_NAME } from './pack';

/** The owner every instance is set up with (also printed by `npm run dev`). */
export const OWNER = {
	email: 'owner@email-intel.test',
	password: 'EmailIntel-dev-1',
	firstName: 'Email',
	lastName: 'Intel',
};

const READY_LINE = 'Editor is now accessible via';
const START_TIMEOUT_MS = 180_000;
const LOG_LIMIT = 4_000_000;
/** EMAIL_INTEL_E2E_VERBOSE=1 echoes n8n's output to stderr as it happens. */
const VERBOSE = process.env.EMAIL_INTEL_E2E_VERBOSE === '1';
/** EMAIL_INTEL_E2E_KEEP=1 keeps user folders after stop() for inspection. */
const KEEP = process.env.EMAIL_INTEL_E2E_KEEP === '1';

export interface StartOptions {
	/** extra environment for n8n (wins over the harness's defaults) */
	env?: Record<string, string>;
	/** imported before start with `n8n import:workflow`; an id is assigned when missing */
	workflows?: object[];
	/** imported before the workflows with `n8n import:credentials` (plain `data` is encrypted by n8n) */
	credentials?: CredentialSeed[];
	/** workflow ids activated (`n8n publish:workflow`) before start */
	publish?: string[];
	/** n8n's HTTP port (a free one when omitted) */
	port?: number;
	/** an existing user folder to use (kept on stop); a fresh temporary one when omitted */
	userFolder?: string;
	/** echo n8n's output to this process's stdout as it comes (`npm run dev`) */
	echo?: boolean;
	/** which n8n: `current` (2.41.1 on Node 24, the default) or `lts` (1.123.81 on Node 20) */
	line?: N8nLine;
	/**
	 * Runs after the import and publish, before the server starts, with the server's environment:
	 * queue mode (queue/cluster.ts) starts its workers and webhook processor here, so that they
	 * are up when the server activates the published workflows.
	 */
	beforeStart?: (env: NodeJS.ProcessEnv) => Promise<void>;
}

/** n8n 1.x: no `publish:workflow` CLI, and its isolated-vm expression engine does not build on Node 20. */
function isLts(install: N8nInstall): boolean {
	return install.version.startsWith('1.');
}

/** A credential to import: reference it from a node as `credentials: { [type]: { id, name } }`. */
export interface CredentialSeed {
	/** 16 alphanumeric characters; assigned when missing */
	id?: string;
	name: string;
	/** the credential type name, e.g. 'emailIntelImapApi' */
	type: string;
	/** the credential's fields in clear; n8n encrypts them with the instance's key on import */
	data: Record<string, unknown>;
}

export interface N8nInstance {
	/** http://127.0.0.1:<port> */
	url: string;
	port: number;
	/** N8N_USER_FOLDER: n8n keeps its data in <userFolder>/.n8n */
	userFolder: string;
	/** the environment the server runs with (queue mode gives its other processes the same) */
	env: NodeJS.ProcessEnv;
	/** public API under /api/v1 with an API key of the owner (created on first use); returns the parsed JSON body, throws on HTTP errors */
	api(method: string, path: string, body?: unknown): Promise<Json>;
	/** internal API under /rest as the owner (cookie); returns the body's `data`, throws on HTTP errors */
	rest(method: string, path: string, body?: unknown): Promise<Json>;
	/** any path on the server as the owner (e.g. '/types/nodes.json'); parsed JSON body */
	get(path: string): Promise<Json>;
	/** executions of a workflow with their data, oldest first */
	executions(workflowId: string): Promise<Json[]>;
	/** waits until at least `count` executions of the workflow have finished; oldest first */
	waitForExecutions(workflowId: string, count: number, timeoutMs?: number): Promise<Json[]>;
	/** stops and starts n8n again on the same port, user folder and database */
	restart(): Promise<void>;
	/** stops n8n (its whole process group) and removes the user folder it created */
	stop(): Promise<void>;
	/** everything n8n printed so far (all starts) */
	logs(): string;
	/** runs an n8n CLI command against this instance's user folder and database (stop it first for writes) */
	cli(args: string[]): Promise<{ exitCode: number; stdout: string }>;
	/** resolves with n8n's exit code when the server process ends (stop(), restart() or a crash) */
	exited(): Promise<number>;
	/** the pid of the running server, leader of its process group (n8n and its task runner); undefined when stopped */
	pid(): number | undefined;
}

/** Instances not stopped yet: a test file that forgets stop() must not leak an n8n into the next. */
const liveInstances = new Set<N8nInstance>();
if (typeof afterAll === 'function') {
	afterAll(async () => {
		for (const instance of [...liveInstances]) await instance.stop();
	});
}

/** Environment shared by every n8n process the harness starts: isolated and quiet. */
function baseEnv(
	install: N8nInstall,
	userFolder: string,
	encryptionKey: string,
	brokerPort: number,
): NodeJS.ProcessEnv {
	return {
		PATH: `${install.nodeBinDir}${path.delimiter}${process.env.PATH ?? ''}`,
		HOME: process.env.HOME,
		TMPDIR: process.env.TMPDIR,
		LANG: process.env.LANG,
		TZ: 'UTC',
		NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: encryptionKey,
		DB_TYPE: 'sqlite',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_SECURE_COOKIE: 'false',
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_AI_ENABLED: 'false',
		// 1.x has no such module and refuses to start when told to disable an unknown one.
		...(isLts(install) ? {} : { N8N_DISABLED_MODULES: 'mcp-registry' }),
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS: 'true',
		NO_COLOR: '1',
		...(isLts(install) ? { N8N_EXPRESSION_ENGINE: 'legacy' } : {}),
	};
}

/** A fresh temporary user folder with the pack installed. */
async function newUserFolder(install: N8nInstall, prefix: string): Promise<string> {
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	await installPackInto(userFolder);
	const template = await migratedDatabase(install);
	fs.mkdirSync(path.join(userFolder, '.n8n'), { recursive: true });
	for (const file of fs.readdirSync(template))
		fs.copyFileSync(path.join(template, file), path.join(userFolder, '.n8n', file));
	return userFolder;
}

const pendingTemplates = new Map<string, Promise<string>>();

/**
 * A fresh n8n database with all migrations applied, made once per run next to the pack
 * (`n8n list:workflow` in an empty user folder) and copied into each new user folder: running
 * n8n's ~300 SQLite migrations costs ~4 s per fresh folder. It holds no secrets, only the
 * not-yet-set-up owner row and that owner's personal project; the WAL file is copied with it.
 */
export function migratedDatabase(install: N8nInstall): Promise<string> {
	let pendingTemplate = pendingTemplates.get(install.dir);
	pendingTemplate ??= (async () => {
		const pack = await preparePack();
		const template = path.join(pack.dir, `database-template-${install.version}`);
		if (fs.existsSync(template)) return template;
		const folder = fs.mkdtempSync(path.join(pack.dir, 'database-'));
		const [brokerPort] = await freePorts(1);
		const result = await runCli(install, baseEnv(install, folder, 'template', brokerPort), [
			'list:workflow',
		]);
		if (result.exitCode !== 0)
			throw new Error(
				`migrating a fresh n8n database failed (exit ${result.exitCode}):\n${result.stdout}`,
			);
		const dbFolder = path.join(folder, '.n8n');
		for (const file of fs.readdirSync(dbFolder))
			if (!file.startsWith('database.sqlite'))
				fs.rmSync(path.join(dbFolder, file), { recursive: true, force: true });
		fs.renameSync(dbFolder, template);
		fs.rmSync(folder, { recursive: true, force: true });
		return template;
	})().catch((error: unknown) => {
		pendingTemplates.delete(install.dir);
		throw error;
	});
	pendingTemplates.set(install.dir, pendingTemplate);
	return pendingTemplate;
}

/** n8n workflow and credential ids are 16 alphanumeric characters. */
export function newWorkflowId(): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
	return [...randomBytes(16)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** Gives each workflow an id (kept when present) and the fields `import:workflow` requires. */
function normalizeWorkflows(workflows: object[]): Array<Record<string, unknown> & { id: string }> {
	return workflows.map((workflow, index) => {
		const w = { ...(workflow as Record<string, unknown>) };
		w.id = typeof w.id === 'string' && w.id ? w.id : newWorkflowId();
		w.name ??= `e2e workflow ${index + 1}`;
		w.connections ??= {};
		w.settings ??= { executionOrder: 'v1' };
		w.active ??= false;
		return w as Record<string, unknown> & { id: string };
	});
}

async function runCli(
	install: N8nInstall,
	env: NodeJS.ProcessEnv,
	args: string[],
	timeoutMs = 120_000,
): Promise<{ exitCode: number; stdout: string }> {
	const proc = spawnGroup(install.nodeBin, [install.n8nBin, ...args], {
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stdout = '';
	proc.child.stdout?.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
		if (VERBOSE) process.stderr.write(chunk);
	});
	proc.child.stderr?.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
		if (VERBOSE) process.stderr.write(chunk);
	});
	const started = Date.now();
	const timer = setTimeout(() => void proc.stop(2_000), timeoutMs);
	try {
		const exitCode = await proc.exited;
		if (VERBOSE)
			process.stderr.write(
				`[e2e] n8n ${args[0]}: exit ${exitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
			);
		return { exitCode, stdout };
	} finally {
		clearTimeout(timer);
	}
}

/**
 * Starts one long-running n8n process (`start`, `worker`, `webhook`) in its own process group
 * and resolves once it printed `readyLine`; fails with its output when it exits or is not ready
 * within START_TIMEOUT_MS. Everything it prints goes to `onOutput`.
 */
export async function spawnN8nProcess(
	install: N8nInstall,
	args: string[],
	env: NodeJS.ProcessEnv,
	readyLine: string,
	onOutput: (chunk: Buffer) => void,
): Promise<Spawned> {
	let output = '';
	const proc = spawnGroup(install.nodeBin, [install.n8nBin, ...args], {
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const take = (chunk: Buffer) => {
		if (!output.includes(readyLine)) output = (output + chunk.toString()).slice(-LOG_LIMIT);
		onOutput(chunk);
	};
	proc.child.stdout?.on('data', take);
	proc.child.stderr?.on('data', take);
	const deadline = Date.now() + START_TIMEOUT_MS;
	let exitCode: number | undefined;
	void proc.exited.then((code) => (exitCode = code));
	while (!output.includes(readyLine)) {
		if (exitCode !== undefined)
			throw new Error(
				`n8n ${args[0]} exited (code ${exitCode}) before it was ready:\n${output.slice(-8000)}`,
			);
		if (Date.now() > deadline) {
			await proc.stop(2_000);
			throw new Error(
				`n8n ${args[0]} was not ready after ${START_TIMEOUT_MS / 1000} s:\n${output.slice(-8000)}`,
			);
		}
		await delay(100);
	}
	return proc;
}

/** `n8n import:<kind> --separate --input=<dir>`, one JSON file per entity. */
async function importEntities(
	install: N8nInstall,
	env: NodeJS.ProcessEnv,
	userFolder: string,
	kind: 'workflow' | 'credentials',
	entities: Array<{ id: string }>,
): Promise<void> {
	if (entities.length === 0) return;
	const dir = fs.mkdtempSync(path.join(userFolder, `import-${kind}-`));
	for (const entity of entities)
		fs.writeFileSync(path.join(dir, `${entity.id}.json`), JSON.stringify(entity, null, 2));
	const result = await runCli(install, env, [`import:${kind}`, '--separate', `--input=${dir}`]);
	fs.rmSync(dir, { recursive: true, force: true });
	if (result.exitCode !== 0)
		throw new Error(`n8n import:${kind} failed (exit ${result.exitCode}):\n${result.stdout}`);
}

async function importAll(
	install: N8nInstall,
	env: NodeJS.ProcessEnv,
	userFolder: string,
	credentials: CredentialSeed[],
	workflows: Array<{ id: string }>,
): Promise<void> {
	const seeds = credentials.map((credential) => ({
		...credential,
		id: credential.id ?? newWorkflowId(),
	}));
	await importEntities(install, env, userFolder, 'credentials', seeds);
	await importEntities(install, env, userFolder, 'workflow', workflows);
}

async function publishWorkflows(
	install: N8nInstall,
	env: NodeJS.ProcessEnv,
	ids: string[],
): Promise<void> {
	// n8n 1.x has no publish:workflow: its workflows are activated over REST once it runs.
	if (isLts(install)) return;
	for (const id of ids) {
		const result = await runCli(install, env, ['publish:workflow', `--id=${id}`]);
		if (result.exitCode !== 0)
			throw new Error(
				`n8n publish:workflow --id=${id} failed (exit ${result.exitCode}):\n${result.stdout}`,
			);
	}
}

/** Starts a headless n8n with the pack installed, an owner and an API key. */
export async function startN8n(options: StartOptions = {}): Promise<N8nInstance> {
	const install = await ensureN8n(options.line);
	const ownFolder = options.userFolder === undefined;
	const userFolder = options.userFolder ?? (await newUserFolder(install, 'email-intel-n8n-'));
	if (!ownFolder) await installPackInto(userFolder);
	const [freeHttp, brokerPort] = await freePorts(2);
	const port = options.port ?? freeHttp;
	const url = `http://127.0.0.1:${port}`;
	const encryptionKey = encryptionKeyFor(userFolder);
	const env: NodeJS.ProcessEnv = {
		...baseEnv(install, userFolder, encryptionKey, brokerPort),
		N8N_PORT: String(port),
		WEBHOOK_URL: `${url}/`,
		N8N_EDITOR_BASE_URL: `${url}/`,
		...options.env,
	};

	const workflows = normalizeWorkflows(options.workflows ?? []);
	await importAll(install, env, userFolder, options.credentials ?? [], workflows);
	await publishWorkflows(install, env, options.publish ?? []);
	await options.beforeStart?.(env);

	let log = '';
	let server: Spawned | undefined;
	const browserId = randomBytes(16).toString('hex');
	let cookie = '';
	let apiKey = '';

	const append = (chunk: Buffer) => {
		log += chunk.toString();
		if (log.length > LOG_LIMIT) log = log.slice(-LOG_LIMIT);
		if (options.echo) process.stdout.write(chunk);
		else if (VERBOSE) process.stderr.write(chunk);
	};

	const boot = async () => {
		server = await spawnN8nProcess(install, ['start'], env, READY_LINE, append);
	};

	const request = async (
		method: string,
		pathname: string,
		body: unknown,
		headers: Record<string, string>,
	) => {
		const response = await fetch(url + pathname, {
			method,
			headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		if (!response.ok)
			throw new Error(`${method} ${pathname} → HTTP ${response.status}: ${text.slice(0, 2000)}`);
		const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
		if (setCookie) cookie = setCookie.split(';')[0];
		return text ? (JSON.parse(text) as unknown) : undefined;
	};

	const asOwner = (method: string, pathname: string, body?: unknown) =>
		request(method, pathname, body, { 'browser-id': browserId, ...(cookie ? { cookie } : {}) });

	const rest = async (method: string, pathname: string, body?: unknown) => {
		const result = (await asOwner(method, `/rest${pathname}`, body)) as
			| { data?: unknown }
			| undefined;
		return result && typeof result === 'object' && 'data' in result ? result.data : result;
	};

	const signIn = async () => {
		const settings = (await rest('GET', '/settings')) as {
			userManagement?: { showSetupOnFirstLoad?: boolean };
		};
		if (settings.userManagement?.showSetupOnFirstLoad) {
			await rest('POST', '/owner/setup', OWNER);
		} else {
			await rest('POST', '/login', { emailOrLdapLoginId: OWNER.email, password: OWNER.password });
		}
	};

	const api = async (method: string, pathname: string, body?: unknown) => {
		if (!apiKey) {
			const scopes = (await rest('GET', '/api-keys/scopes')) as string[];
			const created = (await rest('POST', '/api-keys', {
				label: `e2e-${browserId.slice(0, 8)}`,
				scopes,
				expiresAt: null,
			})) as { rawApiKey: string };
			apiKey = created.rawApiKey;
		}
		return request(method, `/api/v1${pathname}`, body, { 'X-N8N-API-KEY': apiKey });
	};

	const executions = async (workflowId: string): Promise<Json[]> => {
		const all: Json[] = [];
		let cursor: string | undefined;
		do {
			const query = new URLSearchParams({ workflowId, includeData: 'true', limit: '250' });
			if (cursor) query.set('cursor', cursor);
			const page = (await api('GET', `/executions?${query}`)) as {
				data: Json[];
				nextCursor?: string | null;
			};
			all.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return all.sort((a, b) => Number(a.id) - Number(b.id));
	};

	// n8n 2.x activates published workflows after READY_LINE, in the background (its publication
	// service's startup reconcile): a webhook called at once answers 404. Wait until n8n reports
	// each one's publication settled (published, partial or failed: activation errors are tested).
	const waitForPublished = async (timeoutMs = 120_000) => {
		if (isLts(install)) return;
		const deadline = Date.now() + timeoutMs;
		for (const id of options.publish ?? []) {
			for (;;) {
				const { status } = (await rest('GET', `/workflows/${id}/publication-status`)) as {
					status: string;
				};
				if (['published', 'partial', 'failed'].includes(status)) break;
				if (Date.now() > deadline)
					throw new Error(
						`workflow ${id} still "${status}" ${timeoutMs} ms after n8n started. n8n log tail:\n${log.slice(-6000)}`,
					);
				await delay(200);
			}
		}
	};

	const stopServer = async () => {
		if (server) await server.stop(15_000);
		server = undefined;
	};

	const instance: N8nInstance = {
		url,
		port,
		userFolder,
		env,
		api,
		rest,
		get: (pathname: string) => asOwner('GET', pathname),
		executions,
		async waitForExecutions(workflowId, count, timeoutMs = 60_000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const all = await executions(workflowId);
				const finished = all.filter(
					(e) =>
						e.finished === true || ['success', 'error', 'crashed', 'canceled'].includes(e.status),
				);
				if (finished.length >= count) return finished;
				if (Date.now() > deadline) {
					throw new Error(
						`expected ${count} finished execution(s) of workflow ${workflowId} within ${timeoutMs} ms, got ${finished.length} ` +
							`(${all.length} in all). n8n log tail:\n${log.slice(-6000)}`,
					);
				}
				await delay(500);
			}
		},
		async restart() {
			await stopServer();
			await boot();
			await signIn();
			await waitForPublished();
		},
		async stop() {
			liveInstances.delete(instance);
			await stopServer();
			if (ownFolder && !KEEP) fs.rmSync(userFolder, { recursive: true, force: true });
		},
		logs: () => log,
		cli: (args: string[]) => runCli(install, env, args),
		exited: () => server?.exited ?? Promise.resolve(0),
		pid: () => server?.child.pid,
	};

	liveInstances.add(instance);
	try {
		await boot();
		await signIn();
		if (isLts(install))
			for (const id of options.publish ?? []) {
				const workflow = (await rest('GET', `/workflows/${id}`)) as { versionId: string };
				await rest('POST', `/workflows/${id}/activate`, { versionId: workflow.versionId });
			}
		await waitForPublished();
	} catch (error) {
		await instance.stop();
		throw error;
	}
	return instance;
}

export interface ExecuteResult {
	/** the CLI's exit code: 0 when the run succeeded */
	exitCode: number;
	/** the run (IRun: data.resultData.runData per node) parsed from the output, or null */
	data: Json;
	/** everything the CLI printed */
	stdout: string;
}

/**
 * One-shot `n8n execute --id=ID --rawOutput` of a workflow in a fresh user folder with the pack
 * installed. The workflow starts at its Manual Trigger (execute cannot start from a poll trigger).
 */
export async function executeWorkflow(
	workflow: object,
	options: { env?: Record<string, string>; credentials?: CredentialSeed[]; line?: N8nLine } = {},
): Promise<ExecuteResult> {
	const install = await ensureN8n(options.line);
	const userFolder = await newUserFolder(install, 'email-intel-exec-');
	try {
		const [brokerPort] = await freePorts(1);
		const env: NodeJS.ProcessEnv = {
			...baseEnv(install, userFolder, encryptionKeyFor(userFolder), brokerPort),
			// n8n 2.41's `execute` ends with process.exit() without disposing its isolated-vm
			// expression engine (only exitSuccessFully() does, and execute never calls it). The
			// exit handlers then join isolated-vm's threads while one still runs V8, and the CLI
			// dies with SIGSEGV (exit 139) instead of its exit code: seen in ~1 of 15 runs idle,
			// 5 of 12 under load (gdb on the core: ivm::thread_pool_t::~thread_pool_t at exit).
			// The one-shot CLI runs on the in-process engine, which has no threads to race.
			N8N_EXPRESSION_ENGINE: 'legacy',
			...options.env,
		};
		const [normalized] = normalizeWorkflows([workflow]);
		await importAll(install, env, userFolder, options.credentials ?? [], [normalized]);
		const result = await runCli(install, env, ['execute', `--id=${normalized.id}`, '--rawOutput']);
		return { ...result, data: parseRun(result.stdout) };
	} finally {
		if (!KEEP) fs.rmSync(userFolder, { recursive: true, force: true });
	}
}

/**
 * `execute` prints the run as pretty JSON (`JSON.stringify(run, null, 2)`), after n8n's banner
 * and log lines on success, inside its log output on failure: take the last top-level object.
 */
export function parseRun(stdout: string): Json {
	const lines = stdout.split('\n');
	for (let end = lines.length - 1; end >= 0; end--) {
		if (lines[end] !== '}') continue;
		for (let start = end; start >= 0; start--) {
			if (lines[start] !== '{') continue;
			try {
				return JSON.parse(lines.slice(start, end + 1).join('\n'));
			} catch {
				break;
			}
		}
	}
	return null;
}

/** Output items of a node in a run: `run.data.resultData.runData[node][0].data.main[output]`. */
export function nodeOutput(run: Json, nodeName: string, output = 0): Json[] {
	const runs = run?.data?.resultData?.runData?.[nodeName];
	if (!Array.isArray(runs) || runs.length === 0) return [];
	return runs[runs.length - 1]?.data?.main?.[output] ?? [];
}

/** The node type name n8n gives a node of the pack. */
export function packNodeType(nodeName: string): string {
	return `${PACKAGE_NAME}.${nodeName}`;
}

/** One key per user folder, stable across restarts (n8n refuses a changed key). */
function encryptionKeyFor(userFolder: string): string {
	const file = path.join(userFolder, '.e2e-encryption-key');
	if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(24).toString('hex'));
	return fs.readFileSync(file, 'utf8').trim();
}

function delay(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
