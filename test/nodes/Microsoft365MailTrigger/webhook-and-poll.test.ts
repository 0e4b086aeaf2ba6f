import { WorkflowExecute } from 'n8n-core';
import {
	createRunExecutionData,
	Workflow,
	type IExecuteData,
	type INode,
	type IRunNodeResponse,
	type INodeType,
	type INodeTypes,
	type IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

/**
 * Why the pack ships two Microsoft 365 trigger nodes instead of one with both `webhook` and
 * `poll`: n8n-core 2.8.1's WorkflowExecute.runNode checks `execute`, then `poll`, then
 * `trigger`, then `webhook`; for a node with `poll`, a manual run (the editor's test run, and a
 * test-webhook run) calls poll() again and throws away the items webhook() produced. This test
 * runs the real runNode on such a hybrid node to show it.
 */
describe('a node type with both webhook and poll, in n8n-core 2.8.1', () => {
	const hybrid: INodeType = {
		description: {
			displayName: 'Hybrid',
			name: 'hybrid',
			group: ['trigger'],
			version: 1,
			description: 'webhook + poll',
			defaults: { name: 'Hybrid' },
			inputs: [],
			outputs: ['main'],
			polling: true,
			webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'hook' }],
			properties: [],
		},
		async poll() {
			return [[{ json: { from: 'poll' } }]];
		},
		async webhook() {
			return { workflowData: [[{ json: { from: 'webhook' } }]] };
		},
	};
	const node: INode = {
		id: 'h',
		name: 'Hybrid',
		type: 'test.hybrid',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		webhookId: 'w',
	};
	const nodeTypes: INodeTypes = {
		getByName: () => hybrid,
		getByNameAndVersion: () => hybrid,
		getKnownTypes: () => ({}),
	};
	const workflow = new Workflow({
		id: 'wf',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes,
		settings: {},
	});
	const additionalData = {
		executionId: 'e',
		variables: {},
		webhookBaseUrl: 'http://x/webhook',
		restApiUrl: 'http://x/rest',
		instanceBaseUrl: 'http://x',
	} as unknown as IWorkflowExecuteAdditionalData;

	async function runWithWebhookItems(mode: 'manual' | 'webhook') {
		// What n8n puts on the stack after webhook() returned: the node with the webhook's items.
		const executionData: IExecuteData = {
			node,
			data: { main: [[{ json: { from: 'webhook' } }]] },
			source: null,
		};
		const execute = new WorkflowExecute(additionalData, mode, createRunExecutionData());
		const result = (await execute.runNode(
			workflow,
			executionData,
			createRunExecutionData(),
			0,
			additionalData,
			mode,
		)) as IRunNodeResponse;
		return result.data?.[0]?.map((item) => item.json.from);
	}

	it('production webhook runs keep the webhook items', async () => {
		expect(await runWithWebhookItems('webhook')).toEqual(['webhook']);
	});

	it('manual (test) runs call poll() and drop what the webhook delivered', async () => {
		expect(await runWithWebhookItems('manual')).toEqual(['poll']);
	});
});
