/* eslint-disable n8n-nodes-base/node-filename-against-convention -- versioned node: the version's description lives here, the wrapper is DsxConnect.node.ts (n8n's Outlook v2 layout) */
import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';

import * as scanRequest from './scanRequest';

export const versionDescription: INodeTypeDescription = {
	displayName: 'DSX Connect',
	name: 'dsxConnect',
	// n8n resolves icons of every version relative to the wrapper file (nodes/DsxConnect/DsxConnect.node.js).
	icon: {
		light: 'file:../../icons/dsx-connect.svg',
		dark: 'file:../../icons/dsx-connect.dark.svg',
	},
	group: ['output'],
	version: 1,
	subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
	description: "Queue email attachments for Deep Instinct dsx-connect's scanning",
	defaults: { name: 'DSX Connect' },
	usableAsTool: true,
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: [{ name: 'dsxConnectApi', required: true, testedBy: 'dsxConnectApiTest' }],
	properties: [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: [{ name: 'Scan Request', value: 'scanRequest' }],
			default: 'scanRequest',
		},
		...scanRequest.description,
	],
};
