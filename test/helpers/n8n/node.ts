import {
	NodeHelpers,
	type ICredentialDataDecryptedObject,
	type INode,
	type INodeParameters,
	type INodeType,
	type INodeTypes,
	type IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

/**
 * What every n8n-core context in the tests needs: the node as n8n builds it from a saved
 * workflow (parameter defaults filled from the description), a node-types registry holding
 * just that node, and the additional data whose credential store hands out decrypted values.
 */
export type TestCredentials = Record<string, ICredentialDataDecryptedObject>;

export function testNode(
	nodeType: INodeType,
	parameters: INodeParameters,
	credentials: TestCredentials,
	extra: Partial<INode> = {},
): INode {
	const node: INode = {
		id: 'b6f8c1a0-0000-4000-8000-000000000001',
		name: nodeType.description.defaults.name ?? 'Node under test',
		type: `n8n-nodes-email-intel.${nodeType.description.name}`,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: Object.fromEntries(
			Object.keys(credentials).map((type) => [type, { id: `${type}-id`, name: `${type} account` }]),
		),
		...extra,
	};
	// n8n fills parameter defaults from the description when a workflow is loaded.
	node.parameters =
		NodeHelpers.getNodeParameters(
			nodeType.description.properties,
			parameters,
			true,
			false,
			node,
			nodeType.description,
		) ?? {};
	return node;
}

export function singleNodeTypes(nodeType: INodeType): INodeTypes {
	return {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	};
}

export function additionalDataFor(
	credentials: TestCredentials,
	baseUrl: string,
	extra: Partial<IWorkflowExecuteAdditionalData> = {},
): IWorkflowExecuteAdditionalData {
	return {
		credentialsHelper: {
			getDecrypted: async (_data: unknown, _nodeCredentials: unknown, type: string) => {
				if (!credentials[type]) throw new Error(`no credential of type ${type}`);
				return credentials[type];
			},
			getParentTypes: () => [],
			getCredentialsProperties: () => [],
		},
		executionId: 'exec-test',
		restApiUrl: `${baseUrl}/rest`,
		webhookBaseUrl: `${baseUrl}/webhook`,
		webhookWaitingBaseUrl: `${baseUrl}/webhook-waiting`,
		webhookTestBaseUrl: `${baseUrl}/webhook-test`,
		formWaitingBaseUrl: `${baseUrl}/form-waiting`,
		variables: {},
		instanceBaseUrl: baseUrl,
		...extra,
	} as unknown as IWorkflowExecuteAdditionalData;
}
