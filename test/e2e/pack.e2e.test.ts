// The pack in a real n8n 2.41.1, installed the way the Community Nodes installer does it:
// n8n must list every node and credential type package.json declares, and a workflow using a
// pack node must run with `n8n execute`.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
	executeWorkflow,
	nodeOutput,
	packNodeType,
	PACKAGE_NAME,
	startN8n,
	type N8nInstance,
} from './harness';
import { declaredTypes, preparePack, REPO_ROOT } from './pack';
import { parseWorkflow } from './seeds';

describe('the pack installed as a community package in n8n 2.41.1', () => {
	let n8n: N8nInstance;
	const declared = declaredTypes();

	beforeAll(async () => {
		const started = Date.now();
		n8n = await startN8n();
		console.log(
			`[e2e] n8n started and ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${n8n.url}`,
		);
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	it('lists every node type declared in package.json', async () => {
		expect(declared.nodes.length).toBeGreaterThan(0);
		const nodeTypes = (await n8n.get('/types/nodes.json')) as Array<{
			name: string;
			displayName: string;
			version: number | number[];
		}>;
		const packTypes = nodeTypes.filter((type) => type.name.startsWith(`${PACKAGE_NAME}.`));
		console.log(
			`[e2e] n8n lists ${packTypes.length} node types of ${PACKAGE_NAME}:\n` +
				packTypes
					.map(
						(type) =>
							`  ${type.name} (${type.displayName}, version ${JSON.stringify(type.version)})`,
					)
					.join('\n'),
		);
		const listed = new Set(packTypes.map((type) => type.name));
		for (const name of declared.nodes) expect(listed).toContain(packNodeType(name));
	});

	it('lists every credential type declared in package.json', async () => {
		const credentialTypes = (await n8n.get('/types/credentials.json')) as Array<{
			name: string;
			displayName: string;
		}>;
		const listed = new Set(credentialTypes.map((type) => type.name));
		console.log(
			`[e2e] the pack declares ${declared.credentials.length} credential types; n8n lists:\n` +
				declared.credentials
					.map((name) => {
						const found = credentialTypes.filter((type) => type.name === name);
						return `  ${name}: ${found.length ? found.map((type) => type.displayName).join(' + ') : 'MISSING'}`;
					})
					.join('\n'),
		);
		for (const name of declared.credentials) expect(listed).toContain(name);
	});

	it('declares no credential type name that n8n itself already has', async () => {
		// Credential type names are global (node types get the package prefix, credentials do
		// not): a pack credential named like a built-in one replaces it for the whole instance.
		const credentialTypes = (await n8n.get('/types/credentials.json')) as Array<{ name: string }>;
		const clashes = declared.credentials.filter(
			(name) => credentialTypes.filter((type) => type.name === name).length > 1,
		);
		if (clashes.length)
			console.log(`[e2e] credential type names also defined by n8n itself: ${clashes.join(', ')}`);
		expect(clashes).toEqual([]);
	});

	it('loaded the pack from <userFolder>/.n8n/nodes/node_modules without load errors', () => {
		const installed = path.join(
			n8n.userFolder,
			'.n8n',
			'nodes',
			'node_modules',
			PACKAGE_NAME,
			'package.json',
		);
		const manifest = JSON.parse(fs.readFileSync(installed, 'utf8')) as Record<string, unknown>;
		// The Community Nodes installer strips these before installing the runtime dependencies.
		expect(manifest.devDependencies).toBeUndefined();
		expect(manifest.peerDependencies).toBeUndefined();
		expect(n8n.logs()).not.toMatch(
			new RegExp(`(Failed to load package|Skipping package)[^\\n]*${PACKAGE_NAME}`),
		);
	});
});

describe('`n8n execute` of a workflow using Email Intel Parse', () => {
	it('parses a raw email given as text into the normalized item with its attachment', async () => {
		const csv = 'indicator,type\nevil.example,domain\n203.0.113.7,ipv4\n';
		const source = [
			'From: "Alice Analyst" <alice@example.org>',
			'To: soc@example.net',
			'Subject: Suspicious invoice =?UTF-8?B?4oCT?= please check',
			'Date: Tue, 03 Mar 2026 09:15:00 +0100',
			'Message-ID: <e2e-1@example.org>',
			'MIME-Version: 1.0',
			'Content-Type: multipart/mixed; boundary="b1"',
			'',
			'--b1',
			'Content-Type: text/plain; charset=utf-8',
			'',
			'See the attached indicators.',
			'--b1',
			'Content-Type: text/csv; name="iocs.csv"',
			'Content-Disposition: attachment; filename="iocs.csv"',
			'Content-Transfer-Encoding: base64',
			'',
			Buffer.from(csv).toString('base64'),
			'--b1--',
			'',
		].join('\n');
		const workflow = parseWorkflow('e2e: parse a raw email', source);

		const started = Date.now();
		const result = await executeWorkflow(workflow);
		console.log(
			`[e2e] n8n execute finished in ${((Date.now() - started) / 1000).toFixed(1)} s with exit code ${result.exitCode}`,
		);
		if (result.exitCode !== 0) console.log(result.stdout.slice(-6000));
		expect(result.exitCode).toBe(0);
		expect(result.data?.finished).toBe(true);

		const [item] = nodeOutput(result.data, 'Parse');
		expect(item).toBeDefined();
		console.log(
			`[e2e] Parse emitted: subject=${JSON.stringify(item.json.subject)} from=${item.json.from?.address} attachments=${item.json.attachments.length}`,
		);
		expect(item.json.subject).toBe('Suspicious invoice – please check');
		expect(item.json.from).toEqual({ name: 'Alice Analyst', address: 'alice@example.org' });
		expect(item.json.date).toMatch(/Z$/);
		expect(new Date(item.json.date).toISOString()).toBe('2026-03-03T08:15:00.000Z');
		expect(item.json.provider).toBe('file');
		expect(item.json.attachments).toHaveLength(1);
		const [attachment] = item.json.attachments;
		expect(attachment).toMatchObject({
			filename: 'iocs.csv',
			contentType: 'text/csv',
			size: csv.length,
			inline: false,
		});
		expect(attachment.sha256).toBe(createHash('sha256').update(csv).digest('hex'));
		expect(item.binary?.[attachment.binaryProperty]).toMatchObject({
			fileName: 'iocs.csv',
			mimeType: 'text/csv',
		});
	});

	it('fails with exit code 1 and the node error in the run when the source is empty', async () => {
		const workflow = {
			name: 'e2e: parse nothing',
			nodes: [
				{
					id: 'b1',
					name: 'Start',
					type: 'n8n-nodes-base.manualTrigger',
					typeVersion: 1,
					position: [0, 0],
					parameters: {},
				},
				{
					id: 'b2',
					name: 'Parse',
					type: packNodeType('emailIntelParse'),
					typeVersion: 1,
					position: [220, 0],
					parameters: { inputType: 'text', source: '   ' },
				},
			],
			connections: { Start: { main: [[{ node: 'Parse', type: 'main', index: 0 }]] } },
		};
		const result = await executeWorkflow(workflow);
		expect(result.exitCode).toBe(1);
		const error = result.data?.data?.resultData?.error;
		console.log(`[e2e] failing run reported: ${error?.message} (node ${error?.node?.name})`);
		expect(error?.node?.name).toBe('Parse');
		expect(error?.message).toMatch(/Source/);
	});
});

describe('the installed package (npm pack, as n8n installs it)', () => {
	it('parses mail on its own worker thread, from the files the tarball ships', async () => {
		const installed = path.join((await preparePack()).dir, 'node_modules', PACKAGE_NAME);
		// eslint-disable-next-line @typescript-eslint/no-require-imports -- the packed, compiled module
		const { ParseWorkers } = require(path.join(installed, 'dist/lib/mail/parse-workers.js')) as {
			ParseWorkers: typeof import('../../lib/mail/parse-workers').ParseWorkers;
		};
		const workers = new ParseWorkers({ threads: 1 });
		try {
			expect(workers.enabled).toBe(true);
			const source = fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/mime/text-only.eml'));
			const parsed = await workers.parse(
				source,
				{ provider: 'imap', account: 'alice', mailbox: 'INBOX', id: '1:1', locator: 'imap://x' },
				{
					policy: {
						mimeTypes: ['*'],
						includeInline: false,
						maxAttachmentBytes: 1 << 20,
						maxTextChars: 1 << 20,
					},
				},
			);
			expect(parsed.email.subject.length).toBeGreaterThan(0);
			expect(workers.parsed).toEqual({ onThreads: 1, onCaller: 0 });
		} finally {
			await workers.close();
		}
	});
});
