// The Microsoft 365 Mail Trigger in a real n8n (2.41.1 on Node 24, the pack installed as a
// community package) against the https Graph fake: activating the workflow makes n8n create a
// Graph subscription (the fake really POSTs the validation token to n8n's production webhook
// URL), new mail makes the fake POST change notifications to that URL, and the items appear
// as executions that n8n itself recorded. n8n trusts the fake's self-signed certificate
// through NODE_EXTRA_CA_CERTS, as a user would for a private endpoint.
import net from 'node:net';

import { startFakeGraph, type FakeGraph } from '../fakes/graph';
import { newWorkflowId, nodeOutput, packNodeType, startN8n, type N8nInstance } from './harness';

const UPN = 'soc@contoso.com';
const NODE = 'M365 Mail Trigger';

describe('Microsoft 365 Mail Trigger in a real n8n', () => {
	const workflowId = newWorkflowId();
	const credentialId = 'GraphE2eCred0001';
	const webhookId = '6f1d5a52-8d0e-4b6f-9a39-2f2a0c7e4b11';
	let fake: FakeGraph;
	let n8n: N8nInstance;

	const itemsOf = (executions: Array<Record<string, unknown>>) =>
		executions.flatMap(
			(execution) =>
				nodeOutput(execution, NODE) as Array<{
					json: Record<string, unknown>;
					binary?: Record<string, unknown>;
				}>,
		);

	beforeAll(async () => {
		fake = await startFakeGraph({ defaultPageSize: 10 });
		const workflow = {
			id: workflowId,
			name: 'e2e: Microsoft 365 mail trigger',
			nodes: [
				{
					id: 'g1',
					name: NODE,
					type: packNodeType('microsoft365MailTrigger'),
					typeVersion: 1,
					position: [0, 0],
					webhookId,
					parameters: {
						mailboxes: UPN,
						options: { attachmentMimeTypes: 'application/pdf' },
					},
					credentials: { microsoftGraphAppApi: { id: credentialId, name: 'Graph fake' } },
				},
			],
			connections: {},
		};
		n8n = await startN8n({
			env: { NODE_EXTRA_CA_CERTS: fake.caPath },
			credentials: [
				{
					id: credentialId,
					name: 'Graph fake',
					type: 'microsoftGraphAppApi',
					// n8n trusts the fake through NODE_EXTRA_CA_CERTS, as a user's n8n would.
					data: fake.credentialData({ trustCa: false }),
				},
			],
			workflows: [workflow],
			// Published before start: n8n activates it on init (ActiveWorkflowManager.addWebhooks).
			publish: [workflowId],
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	it('activation creates the subscription after n8n answers the validation handshake', async () => {
		// n8n activates published workflows in the background after the editor is up.
		const deadline = Date.now() + 90_000;
		while (fake.subscriptions.size === 0 && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 250));
		if (fake.subscriptions.size === 0)
			throw new Error(`no subscription was created; n8n log tail:\n${n8n.logs().slice(-4000)}`);
		const validations = fake.events.filter((e) => e.type === 'validation');
		expect(validations).toEqual([
			expect.objectContaining({
				ok: true,
				status: 200,
				url: `${n8n.url}/webhook/${webhookId}/graph`,
			}),
		]);
		expect(fake.subscriptions.size).toBe(1);
		expect([...fake.subscriptions.values()][0]).toMatchObject({
			notificationUrl: `${n8n.url}/webhook/${webhookId}/graph`,
			changeType: 'created',
		});
	});

	it('new mail becomes executions with the normalized item and the attachment as binary, each message once', async () => {
		const first = fake.addMessages(UPN, 'Inbox', [
			{
				subject: 'Phish report 1',
				attachments: [
					{ name: 'sample.pdf', contentType: 'application/pdf', content: '%PDF-1.4 e2e' },
				],
			},
			{ subject: 'Phish report 2' },
		]);
		await fake.settle();
		expect(fake.deliveries.map((d) => d.status)).toEqual([202, 202]);
		let executions = await n8n.waitForExecutions(workflowId, 1);
		const deadline = Date.now() + 30_000;
		while (itemsOf(executions).length < 2 && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 500));
			executions = await n8n.executions(workflowId);
		}
		const items = itemsOf(executions);
		expect(items.map((item) => item.json.id).sort()).toEqual(first.map((m) => m.id).sort());
		const withPdf = items.find((item) => item.json.subject === 'Phish report 1')!;
		expect(withPdf.json).toMatchObject({ provider: 'graph', account: UPN, mailbox: 'Inbox' });
		expect(withPdf.binary?.attachment_0).toMatchObject({
			fileName: 'sample.pdf',
			mimeType: 'application/pdf',
		});

		// A forged POST with a wrong clientState is answered 202 and starts nothing.
		const sub = [...fake.subscriptions.values()][0];
		const forged = await fake.post(`${n8n.url}/webhook/${webhookId}/graph`, {
			value: [{ subscriptionId: sub.id, clientState: 'forged', changeType: 'created' }],
		});
		expect(forged.status).toBe(202);

		const second = fake.addMessages(UPN, 'Inbox', [{ subject: 'Phish report 3' }]);
		await fake.settle();
		const countBefore = executions.length;
		executions = await n8n.waitForExecutions(workflowId, countBefore + 1);
		await new Promise((resolve) => setTimeout(resolve, 2000));
		executions = await n8n.executions(workflowId);
		const all = itemsOf(executions).map((item) => item.json.id);
		expect(all.sort()).toEqual([...first, ...second].map((m) => m.id).sort());
	});

	it('the credential test, run by n8n (POST /rest/credentials/test), names the field of each mistake', async () => {
		const closedPort = await new Promise<number>((resolve) => {
			const server = net.createServer().listen(0, '127.0.0.1', () => {
				const { port } = server.address() as net.AddressInfo;
				server.close(() => resolve(port));
			});
		});
		const test = async (data: Record<string, string>) =>
			(await n8n.rest('POST', '/credentials/test', {
				credentials: {
					id: credentialId,
					name: 'Graph fake',
					type: 'microsoftGraphAppApi',
					data: { ...fake.credentialData({ trustCa: false }), testMailbox: UPN, ...data },
				},
			})) as { status: string; message: string };

		expect(await test({})).toMatchObject({ status: 'OK' });
		const mistakes: Array<[Record<string, string>, string]> = [
			[{ clientId: '11111111-2222-3333-4444-555555555555' }, 'Client ID'],
			[{ clientSecret: 'not-the-value' }, 'Client Secret'],
			[{ tenantId: '99999999-8888-7777-6666-555555555555' }, 'Tenant ID'],
			[{ authorityHost: `127.0.0.1:${closedPort}` }, 'Authority Host'],
			[{ graphBaseUrl: `https://127.0.0.1:${closedPort}` }, 'Graph Base URL'],
		];
		for (const [data, field] of mistakes) {
			const result = await test(data);
			expect({
				data,
				status: result.status,
				field: /Credential field to check: (.+)\.$/.exec(result.message)?.[1],
			}).toEqual({
				data,
				status: 'Error',
				field,
			});
		}
	});

	it('deactivation deletes the subscription', async () => {
		const answer = await n8n.api('POST', `/workflows/${workflowId}/deactivate`);
		const deadline = Date.now() + 30_000;
		while (fake.subscriptions.size > 0 && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 250));
		if (fake.subscriptions.size > 0)
			throw new Error(
				`subscription still there; API answered ${JSON.stringify(answer).slice(0, 300)}; n8n log tail:\n${n8n.logs().slice(-3000)}`,
			);
		expect(fake.events.filter((e) => e.type === 'deleted')).toEqual([
			expect.objectContaining({ found: true }),
		]);
		expect(fake.subscriptions.size).toBe(0);
	});
});
