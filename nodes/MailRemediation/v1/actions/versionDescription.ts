/* eslint-disable n8n-nodes-base/node-filename-against-convention -- versioned node: the version's description lives here, the wrapper is MailRemediation.node.ts (n8n's Outlook v2 layout) */
import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';

import { GMAIL_CREDENTIALS, GRAPH_CREDENTIAL, IMAP_CREDENTIAL } from '../transport';
import * as message from './message';

export const versionDescription: INodeTypeDescription = {
	displayName: 'Mail Remediation',
	name: 'mailRemediation',
	// n8n resolves icons of every version relative to the wrapper file (nodes/MailRemediation/MailRemediation.node.js).
	icon: {
		light: 'file:../../icons/mail-remediation.svg',
		dark: 'file:../../icons/mail-remediation.dark.svg',
	},
	group: ['transform'],
	version: 1,
	subtitle: '={{$parameter["operation"]}}',
	description:
		'Strip malicious attachments, add a warning banner, tag, quarantine or release emails in Microsoft 365, IMAP and Gmail mailboxes',
	defaults: { name: 'Mail Remediation' },
	usableAsTool: true,
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	// Each item is acted on with the credential of its own provider (`provider` of the item):
	// attach the one(s) the workflow's mail comes from.
	credentials: [
		{ name: GRAPH_CREDENTIAL, required: false, testedBy: 'microsoftGraphAppApiTest' },
		{ name: IMAP_CREDENTIAL, required: false, testedBy: 'emailIntelImapApiTest' },
		{
			name: GMAIL_CREDENTIALS.oAuth2,
			required: false,
			displayOptions: { show: { gmailAuthentication: ['oAuth2'] } },
		},
		{
			name: GMAIL_CREDENTIALS.googleApi,
			required: false,
			testedBy: 'emailIntelGoogleApiTest',
			displayOptions: { show: { gmailAuthentication: ['googleApi'] } },
		},
	],
	properties: [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'hidden',
			noDataExpression: true,
			default: 'message',
		},
		{
			displayName: 'Gmail Authentication',
			name: 'gmailAuthentication',
			type: 'options',
			options: [
				{ name: 'OAuth2 (Sign in with Google)', value: 'oAuth2' },
				{ name: 'Token JSON or Service Account', value: 'googleApi' },
			],
			default: 'oAuth2',
			description:
				'Which Gmail credential acts on items from the Email Intel Gmail Trigger (items of other providers use their own credential)',
		},
		...message.description,
	],
};
