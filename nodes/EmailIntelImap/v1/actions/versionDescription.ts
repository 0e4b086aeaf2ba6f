/* eslint-disable n8n-nodes-base/node-filename-against-convention -- versioned node: the version's description lives here, the wrapper is EmailIntelImap.node.ts (n8n's Outlook v2 layout) */
import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';

import * as mailbox from './mailbox';
import * as message from './message';

export const versionDescription: INodeTypeDescription = {
	displayName: 'Email Intel IMAP',
	name: 'emailIntelImap',
	// n8n resolves icons of every version relative to the wrapper file (nodes/EmailIntelImap/EmailIntelImap.node.js).
	icon: {
		light: 'file:../../icons/email-intel-imap.svg',
		dark: 'file:../../icons/email-intel-imap.dark.svg',
	},
	group: ['transform'],
	version: 1,
	subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
	description: 'List, read, move, flag, copy and delete IMAP messages and mailboxes',
	defaults: { name: 'Email Intel IMAP' },
	usableAsTool: true,
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: [{ name: 'emailIntelImapApi', required: true, testedBy: 'emailIntelImapApiTest' }],
	properties: [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: [
				{ name: 'Message', value: 'message' },
				{ name: 'Mailbox', value: 'mailbox' },
			],
			default: 'message',
		},
		...message.description,
		...mailbox.description,
	],
};
