import { Container } from '@n8n/di';
import { ExecuteContext } from 'n8n-core';
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';
import {
	createRunExecutionData,
	Workflow,
	type ICredentialDataDecryptedObject,
	type IExecuteData,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type IVersionedNodeType,
} from 'n8n-workflow';

import { additionalDataFor, singleNodeTypes, testNode } from './node';

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
	const node = testNode(nodeType, options.parameters, options.credentials, {
		name: 'Node under test',
		...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	});
	const nodeTypes = singleNodeTypes(nodeType);
	const workflow = new Workflow({
		id: 'wf-test',
		name: 'test',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes,
		settings: {},
	});
	const additionalData = additionalDataFor(options.credentials, 'http://localhost');
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
