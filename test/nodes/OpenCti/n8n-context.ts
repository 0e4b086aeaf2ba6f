import { Container } from '@n8n/di';
import { ExecuteContext } from 'n8n-core';
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';
import {
	createRunExecutionData,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type IExecuteData,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type INodeTypes,
	type IVersionedNodeType,
	type IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

/**
 * Runs a node's `execute` inside n8n-core's real ExecuteContext (parameter resolution with
 * defaults, getCredentials, binary helpers, continueOnFail): the same code path n8n takes,
 * minus the workflow runner. Only the credential store is a stand-in (decrypted values).
 */
export interface RunOptions {
	parameters: INodeParameters;
	items: INodeExecutionData[];
	credentials: Record<string, ICredentialDataDecryptedObject>;
	continueOnFail?: boolean;
}

export async function runNode(
	nodeClass: INodeType | IVersionedNodeType,
	options: RunOptions,
): Promise<INodeExecutionData[][]> {
	const nodeType = (
		'nodeVersions' in nodeClass ? nodeClass.getNodeType(1) : nodeClass
	) as INodeType;
	const typeName = `n8n-nodes-email-intel.${nodeType.description.name}`;
	const node: INode = {
		id: 'node-under-test',
		name: 'Node under test',
		type: typeName,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: Object.fromEntries(
			Object.keys(options.credentials).map((type) => [
				type,
				{ id: `${type}-id`, name: `${type} account` },
			]),
		),
		...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	};
	// n8n fills parameter defaults from the description when a workflow is loaded.
	node.parameters =
		NodeHelpers.getNodeParameters(
			nodeType.description.properties,
			options.parameters,
			true,
			false,
			node,
			nodeType.description,
		) ?? {};
	const nodeTypes: INodeTypes = {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	};
	const workflow = new Workflow({
		id: 'wf-test',
		name: 'test',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes,
		settings: {},
	});
	const additionalData = {
		credentialsHelper: {
			getDecrypted: async (_data: unknown, _nodeCredentials: unknown, type: string) => {
				if (!options.credentials[type]) throw new Error(`no credential of type ${type}`);
				return options.credentials[type];
			},
			getParentTypes: () => [],
			getCredentialsProperties: () => [],
		},
		executionId: 'exec-test',
		restApiUrl: 'http://localhost/rest',
		webhookBaseUrl: 'http://localhost/webhook',
		webhookWaitingBaseUrl: 'http://localhost/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost/webhook-test',
		formWaitingBaseUrl: 'http://localhost/form-waiting',
		variables: {},
		instanceBaseUrl: 'http://localhost',
	} as unknown as IWorkflowExecuteAdditionalData;
	const executeData: IExecuteData = { node, data: { main: [options.items] }, source: null };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'manual',
		createRunExecutionData(),
		0,
		options.items,
		{ main: [options.items] },
		executeData,
		[],
	);
	return (await nodeType.execute!.call(context)) as INodeExecutionData[][];
}

/** ExecuteContext's SSH helpers start n8n-core's SSH client janitor (a 60 s interval): stop it after the tests. */
export function shutdownN8nCore(): void {
	Container.get(SSHClientsManager).onShutdown();
}
