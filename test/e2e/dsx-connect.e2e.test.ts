// The DSX Connect Connector in a real n8n (2.41.1 on Node 24, the pack installed as a community
// package), with the dsx-connect fake as the core and the https Graph fake as the mailbox:
// activation registers the connector with the enrollment token; new mail reaches the Microsoft
// 365 Mail Trigger of a second workflow, whose DSX Connect node submits each attachment; the
// fake core then reads the bytes back through the connector's read_file webhook of this n8n
// (streamed from the Graph fake), finds the EICAR one Malicious and calls item_action, which
// becomes an execution of the connector workflow whose last node is the answer. Calls that are
// unsigned, tampered with, stale or replayed are refused with 401 and start nothing.
import { createHash } from 'node:crypto';

import { startFakeGraph, type FakeGraph } from '../fakes/graph';
import { dsxaScan, EICAR, startFakeDsxConnect, type FakeDsxConnect } from '../fakes/dsx-connect';
import { startFakeDsxa, type FakeDsxa } from '../fakes/dsxa';
import { newWorkflowId, nodeOutput, packNodeType, startN8n, type N8nInstance } from './harness';

const UPN = 'soc@contoso.com';
const CONNECTOR_NODE = 'DSX Connect Connector';
const CONNECTOR_NAME = 'n8n-e2e-connector';

describe('DSX Connect connector mode in a real n8n', () => {
	const connectorWorkflowId = newWorkflowId();
	const scanWorkflowId = newWorkflowId();
	const connectorWebhookId = '3b2d0a0e-5d7c-4f1e-9a5e-0c6d1f2a7b91';
	const mailWebhookId = '9a7c3e51-2b4d-4c8f-8e1a-6f5d4c3b2a10';
	let graph: FakeGraph;
	let dsx: FakeDsxConnect;
	let dsxa: FakeDsxa;
	let n8n: N8nInstance;

	beforeAll(async () => {
		graph = await startFakeGraph({ defaultPageSize: 10 });
		// dsx-connect hands what it reads through n8n's read_file to a DSXA scanner (the fake).
		dsxa = await startFakeDsxa({ token: 'dsxa-token' });
		dsx = await startFakeDsxConnect({
			enrollmentToken: 'e2e-enrollment-token',
			scan: dsxaScan(dsxa.url, 'dsxa-token'),
		});
		const dsxCredential = { id: 'DsxConnE2eCred01', name: 'dsx-connect fake' };
		const graphCredential = { id: 'GraphDsxE2eCred1', name: 'Graph fake' };
		const connectorWorkflow = {
			id: connectorWorkflowId,
			name: 'e2e: dsx-connect connector',
			nodes: [
				{
					id: 'c1',
					name: CONNECTOR_NODE,
					type: packNodeType('dsxConnectConnector'),
					typeVersion: 1,
					position: [0, 0],
					webhookId: connectorWebhookId,
					parameters: {
						mailProviders: 'graph',
						respond: 'lastNode',
						itemAction: 'movetag',
						itemActionMoveMetainfo: 'Quarantine',
						asset: UPN,
					},
					credentials: { dsxConnectApi: dsxCredential, microsoftGraphAppApi: graphCredential },
				},
				{
					id: 'c2',
					name: 'Answer',
					type: 'n8n-nodes-base.set',
					typeVersion: 3.4,
					position: [240, 0],
					parameters: {
						mode: 'raw',
						jsonOutput:
							'={{ JSON.stringify({ status: "success", message: "quarantined " + $json.locator, item_action: "move" }) }}',
						options: {},
					},
				},
			],
			connections: {
				[CONNECTOR_NODE]: { main: [[{ node: 'Answer', type: 'main', index: 0 }]] },
			},
		};
		const scanWorkflow = {
			id: scanWorkflowId,
			name: 'e2e: mail to dsx-connect',
			nodes: [
				{
					id: 's1',
					name: 'Mail',
					type: packNodeType('microsoft365MailTrigger'),
					typeVersion: 1,
					position: [0, 0],
					webhookId: mailWebhookId,
					parameters: { mailboxes: UPN, options: {} },
					credentials: { microsoftGraphAppApi: graphCredential },
				},
				{
					id: 's2',
					name: 'Submit',
					type: packNodeType('dsxConnect'),
					typeVersion: 1,
					position: [240, 0],
					parameters: { resource: 'scanRequest', operation: 'submit', options: {} },
					credentials: { dsxConnectApi: dsxCredential },
				},
			],
			connections: { Mail: { main: [[{ node: 'Submit', type: 'main', index: 0 }]] } },
		};
		n8n = await startN8n({
			env: { NODE_EXTRA_CA_CERTS: graph.caPath },
			credentials: [
				{
					...graphCredential,
					type: 'microsoftGraphAppApi',
					data: graph.credentialData({ trustCa: false }),
				},
				{
					...dsxCredential,
					type: 'dsxConnectApi',
					data: {
						url: dsx.url,
						enrollmentToken: dsx.enrollmentToken,
						connectorName: CONNECTOR_NAME,
					},
				},
			],
			workflows: [connectorWorkflow, scanWorkflow],
			publish: [connectorWorkflowId, scanWorkflowId],
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await dsx?.close();
		await dsxa?.stop();
		await graph?.close();
	});

	const connector = () => [...dsx.connectors.values()][0];

	it('activation registers the connector with the enrollment token, its webhooks as its URL', async () => {
		const deadline = Date.now() + 90_000;
		while ((dsx.connectors.size === 0 || graph.subscriptions.size === 0) && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 250));
		if (dsx.connectors.size === 0)
			throw new Error(`the connector did not register; n8n log tail:\n${n8n.logs().slice(-4000)}`);
		expect(dsx.connectors.size).toBe(1);
		expect(connector().instance).toMatchObject({
			name: CONNECTOR_NAME,
			url: `${n8n.url}/webhook/${connectorWebhookId}/dsx`,
			status: 'ready',
			item_action: 'movetag',
			item_action_move_metainfo: 'Quarantine',
			asset: UPN,
		});
		expect(dsx.events.filter((e) => e.type === 'register')).toEqual([
			expect.objectContaining({ status: 201 }),
		]);
	});

	it('mail → Submit Scan Request → read_file through n8n → Malicious → item_action is an execution whose last node answers', async () => {
		const [message] = graph.addMessages(UPN, 'Inbox', [
			{
				subject: 'Invoice',
				attachments: [
					{ name: 'invoice.pdf', contentType: 'application/pdf', content: `%PDF-1.4\n${EICAR}\n` },
					{ name: 'terms.pdf', contentType: 'application/pdf', content: '%PDF-1.4 clean terms' },
				],
			},
		]);
		await graph.settle();
		const results = await dsx.waitForResults(2, 90_000).catch((error: Error) => {
			throw new Error(`${error.message}\nn8n log tail:\n${n8n.logs().slice(-4000)}`);
		});
		const byName = new Map(results.map((r) => [r.request.metainfo, r]));
		const malicious = byName.get('invoice.pdf')!;
		const clean = byName.get('terms.pdf')!;
		const eicarPdf = Buffer.from(`%PDF-1.4\n${EICAR}\n`);
		// The bytes dsx-connect scanned are the attachment's, read through n8n's read_file webhook.
		expect(malicious.readFile).toEqual({
			status: 200,
			bytes: eicarPdf.length,
			sha256: createHash('sha256').update(eicarPdf).digest('hex'),
		});
		expect(malicious.verdict).toBe('Malicious');
		expect(malicious.request).toMatchObject({
			location: expect.stringMatching(
				new RegExp(`^graph://soc%40contoso\\.com/messages/[^/]+/attachments/[^/]+$`),
			),
			connector: { uuid: connector().instance.uuid, name: CONNECTOR_NAME },
			connector_url: `${n8n.url}/webhook/${connectorWebhookId}/dsx`,
		});
		const locator = malicious.request.location.replace(/\/attachments\/[^/]+$/, '');
		expect(malicious.itemAction).toMatchObject({
			status: 200,
			json: { status: 'success', message: `quarantined ${locator}`, item_action: 'move' },
		});
		expect(clean).toMatchObject({ readFile: { status: 200 }, verdict: 'Benign' });
		// Both verdicts came from the DSXA scanner, which saw each attachment's bytes once.
		expect(dsxa.scans.map((scan) => scan.verdict).sort()).toEqual(['Benign', 'Malicious']);
		expect(clean.itemAction).toBeUndefined();

		// item_action reached the connector workflow as one execution with the message's locator.
		const executions = await n8n.waitForExecutions(connectorWorkflowId, 1);
		expect(executions).toHaveLength(1);
		const [item] = nodeOutput(executions[0], CONNECTOR_NODE) as Array<{
			json: Record<string, unknown>;
		}>;
		expect(item.json).toMatchObject({
			event: 'item_action',
			itemAction: 'movetag',
			itemActionMoveMetainfo: 'Quarantine',
			provider: 'graph',
			account: UPN,
			id: message.id,
			locator,
			metainfo: 'invoice.pdf',
			location: malicious.request.location,
		});
		// The submitting workflow's output says what was queued.
		const submitted = await n8n.waitForExecutions(scanWorkflowId, 1);
		const [output] = nodeOutput(submitted[0], 'Submit') as Array<{ json: Record<string, unknown> }>;
		expect(output.json).toMatchObject({ locator, submitted: 2, connector: CONNECTOR_NAME });
	});

	it('unsigned, tampered, stale and replayed calls are refused with 401 and start nothing', async () => {
		const location = dsx.results[0].request.location;
		const request = { location, metainfo: 'invoice.pdf' };
		const uuid = connector().instance.uuid;
		const now = Math.floor(Date.now() / 1000);
		const statuses = {
			unsigned: (await dsx.callConnector(uuid, 'item_action', request, { authorization: '' }))
				.status,
			tampered: (
				await dsx.callConnector(uuid, 'item_action', request, {
					sendBody: Buffer.from(JSON.stringify({ ...request, metainfo: 'other.pdf' })),
				})
			).status,
			stale: (await dsx.callConnector(uuid, 'item_action', request, { ts: now - 120 })).status,
			future: (await dsx.callConnector(uuid, 'read_file', request, { ts: now + 120 })).status,
			first: (
				await dsx.callConnector(uuid, 'read_file', request, { ts: now, nonce: 'bm9uY2UtZTJl' })
			).status,
			replayed: (
				await dsx.callConnector(uuid, 'read_file', request, { ts: now, nonce: 'bm9uY2UtZTJl' })
			).status,
		};
		expect(statuses).toEqual({
			unsigned: 401,
			tampered: 401,
			stale: 401,
			future: 401,
			first: 200,
			replayed: 401,
		});
		await new Promise((resolve) => setTimeout(resolve, 3000));
		expect(await n8n.executions(connectorWorkflowId)).toHaveLength(1);
	});

	it('deactivation unregisters the connector (signed) and forgets its key', async () => {
		const uuid = connector().instance.uuid;
		await n8n.api('POST', `/workflows/${connectorWorkflowId}/deactivate`);
		const deadline = Date.now() + 30_000;
		while (dsx.connectors.size > 0 && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 250));
		expect(dsx.events.filter((e) => e.type === 'unregister')).toEqual([
			{ type: 'unregister', status: 204, uuid },
		]);
	});
});
