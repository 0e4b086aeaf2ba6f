// What the other e2e tests rely on: a workflow imported and published before start is active
// when n8n is ready, its production executions are readable with their data through the public
// API, and restart() keeps the user folder, database, owner and activation.
import { randomUUID } from 'node:crypto';
import { newWorkflowId, nodeOutput, packNodeType, startN8n, type N8nInstance } from './harness';

const message = (subject: string) =>
	[
		'From: Bob <bob@example.com>',
		'To: soc@example.net',
		`Subject: ${subject}`,
		'Date: Wed, 04 Mar 2026 10:00:00 +0000',
		'',
		'Hello.',
		'',
	].join('\n');

describe('a published workflow in the harness n8n', () => {
	const workflowId = newWorkflowId();
	const path = `e2e-parse-${workflowId.toLowerCase()}`;
	const workflow = {
		id: workflowId,
		name: 'e2e: webhook → parse',
		nodes: [
			{
				id: 'w1',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
			},
			{
				id: 'w2',
				name: 'Parse',
				type: packNodeType('emailIntelParse'),
				typeVersion: 1,
				position: [220, 0],
				parameters: { inputType: 'text', source: '={{ $json.body.source }}' },
			},
		],
		connections: { Webhook: { main: [[{ node: 'Parse', type: 'main', index: 0 }]] } },
	};
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await startN8n({ workflows: [workflow], publish: [workflowId] });
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	const post = async (subject: string) => {
		const response = await fetch(`${n8n.url}/webhook/${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ source: message(subject) }),
		});
		expect(response.status).toBe(200);
	};

	it('is active at start and its executions carry the pack node output', async () => {
		const listed = await n8n.api('GET', `/workflows/${workflowId}`);
		expect(listed.active).toBe(true);
		await post('first');
		const [execution] = await n8n.waitForExecutions(workflowId, 1);
		expect(execution.status).toBe('success');
		expect(execution.mode).toBe('webhook');
		const [item] = nodeOutput(execution, 'Parse');
		expect(item.json.subject).toBe('first');
		expect(item.json.from.address).toBe('bob@example.com');
	});

	it('keeps workflows, activation and executions across restart()', async () => {
		const started = Date.now();
		await n8n.restart();
		console.log(`[e2e] n8n restarted and ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		await post('second');
		const executions = await n8n.waitForExecutions(workflowId, 2);
		expect(executions.map((execution) => nodeOutput(execution, 'Parse')[0]?.json.subject)).toEqual([
			'first',
			'second',
		]);
		expect(n8n.logs()).toContain('Editor is now accessible via');
	});

	it('answers /rest as the owner', async () => {
		const me = await n8n.rest('GET', '/login');
		expect(me.email).toBe('owner@email-intel.test');
	});
});
