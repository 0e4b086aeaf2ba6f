/* eslint-disable n8n-nodes-base/node-filename-against-convention -- versioned node: the version's description lives here, the wrapper is OpenCti.node.ts (n8n's Outlook v2 layout) */
import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';

import * as file from './file';
import * as report from './report';

export const versionDescription: INodeTypeDescription = {
	displayName: 'OpenCTI',
	name: 'openCti',
	// n8n resolves icons of every version relative to the wrapper file (nodes/OpenCti/OpenCti.node.js).
	icon: { light: 'file:../../icons/opencti.svg', dark: 'file:../../icons/opencti.dark.svg' },
	group: ['output'],
	version: 1,
	subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
	description: 'Create OpenCTI reports from emails, like the Email Intel IMAP connector',
	defaults: { name: 'OpenCTI' },
	usableAsTool: true,
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: [
		{ name: 'emailIntelOpenCtiApi', required: true, testedBy: 'emailIntelOpenCtiApiTest' },
	],
	properties: [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: [
				{ name: 'Report', value: 'report' },
				{ name: 'File', value: 'file' },
			],
			default: 'report',
		},
		...report.description,
		...file.description,
	],
};
