// The pack on the n8n 1.x LTS line many self-hosters still run: n8n 1.123.81 on Node 20, installed
// from test/e2e/n8n-lts/package-lock.json like the 2.41.1 install. The core of the e2e suite on
// that line: the pack loads with every node and credential type, a credential test runs,
// Parse runs under `n8n execute`, and the example workflow "IMAP → OpenCTI" turns each email of
// a real Dovecot into one report on the OpenCTI fake, exactly once across a restart.

import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { start, type FakeOpenCti } from '../fakes/opencti';
import { EMAILS } from '../fixtures/opencti/emails';
import { message } from '../lib/providers/imap/messages';
import {
	executeWorkflow,
	newWorkflowId,
	nodeOutput,
	packNodeType,
	startN8n,
	type Json,
	type N8nInstance,
} from './harness';
import { declaredTypes } from './pack';
import { imapCredential, imapToOpenCtiExample, parseWorkflow, seedOpenCtiEmails } from './seeds';

describe('the pack on n8n 1.123.81 (LTS line, Node 20)', () => {
	let dovecot: DovecotServer;
	let opencti: FakeOpenCti;
	let n8n: N8nInstance;
	const workflowId = newWorkflowId();
	const example = imapToOpenCtiExample();
	const openCtiCredential = example.nodes[1].credentials.emailIntelOpenCtiApi.id as string;

	beforeAll(async () => {
		opencti = await start({ version: '6.9.7' });
		dovecot = await startDovecot();
		await seedOpenCtiEmails(dovecot);
		n8n = await startN8n({
			line: 'lts',
			workflows: [{ ...example, id: workflowId }],
			publish: [workflowId],
			credentials: [
				imapCredential(dovecot, {
					id: example.nodes[0].credentials.emailIntelImapApi.id,
					name: 'Threat intel mailbox',
					tls: true,
				}),
				{
					id: openCtiCredential,
					name: 'OpenCTI',
					type: 'emailIntelOpenCtiApi',
					data: { url: opencti.url, token: opencti.token, allowUnencryptedHttp: true },
				},
			],
		});
	}, 600_000);

	/**
	 * n8n 1.x writes its /types files in the background right after start; a request that meets
	 * the rewrite has its connection closed (seen once): asked again, it answers.
	 */
	async function typesFile(kind: 'nodes' | 'credentials'): Promise<Json> {
		for (let attempt = 1; ; attempt++) {
			try {
				return await n8n.get(`/types/${kind}.json`);
			} catch (error) {
				if (attempt === 3 || !(error instanceof TypeError)) throw error;
				await new Promise((resolve) => setTimeout(resolve, 2000));
			}
		}
	}

	afterAll(async () => {
		await n8n?.stop();
		await dovecot?.stop();
		await opencti?.stop();
	});

	it('runs n8n 1.x and lists every node and credential type of the pack', async () => {
		const settings = (await n8n.rest('GET', '/settings')) as { versionCli: string };
		expect(settings.versionCli).toMatch(/^1\./);
		const declared = declaredTypes();
		const nodeTypes = (await typesFile('nodes')) as Array<{ name: string }>;
		const credentialTypes = (await typesFile('credentials')) as Array<{ name: string }>;
		const nodes = new Set(nodeTypes.map((type) => type.name));
		const credentials = new Set(credentialTypes.map((type) => type.name));
		expect(declared.nodes.filter((name) => !nodes.has(packNodeType(name)))).toEqual([]);
		expect(declared.credentials.filter((name) => !credentials.has(name))).toEqual([]);
	});

	it('tests a credential: a good OpenCTI token passes, a bad one is named', async () => {
		const test = (token: string) =>
			n8n.rest('POST', '/credentials/test', {
				credentials: {
					id: openCtiCredential,
					name: 'OpenCTI',
					type: 'emailIntelOpenCtiApi',
					data: { url: `${opencti.url}/`, token, allowUnencryptedHttp: true },
				},
			});
		expect(await test(opencti.token)).toMatchObject({ status: 'OK' });
		expect(await test('revoked-token')).toMatchObject({
			status: 'Error',
			message: expect.stringMatching(/^OpenCTI rejected the API token/),
		});
	});

	it('IMAP → OpenCTI: one report per email, and after a restart only the new mail', async () => {
		const [first] = await n8n.waitForExecutions(workflowId, 1, 180_000);
		expect(first.status).toBe('success');
		expect(nodeOutput(first, 'OpenCTI')).toHaveLength(EMAILS.length);
		const reports = () => [...opencti.store.reports.values()];
		expect(reports()).toHaveLength(EMAILS.length);

		await n8n.restart();
		await dovecot.seed('alice', 'INBOX', [message({ subject: 'after the restart' })]);
		const executions = await n8n.waitForExecutions(workflowId, 2, 180_000);
		expect(executions.map((execution: Json) => execution.status)).toEqual(['success', 'success']);
		expect(
			nodeOutput(executions[1], 'Email Intel IMAP Trigger').map((item: Json) => item.json.subject),
		).toEqual(['after the restart']);
		expect(reports().map((report) => report.name)).toContain('after the restart');
		expect(reports()).toHaveLength(EMAILS.length + 1);
		expect(opencti.invalidRequests()).toEqual([]);
	});

	it('runs Parse under `n8n execute`', async () => {
		const result = await executeWorkflow(
			parseWorkflow('lts: parse a raw email', message({ subject: 'parsed on 1.x' })),
			{ line: 'lts' },
		);
		if (result.exitCode !== 0) console.log(result.stdout.slice(-6000));
		expect(result.exitCode).toBe(0);
		const [item] = nodeOutput(result.data, 'Parse');
		expect(item.json).toMatchObject({ provider: 'file', subject: 'parsed on 1.x' });
	});
});
