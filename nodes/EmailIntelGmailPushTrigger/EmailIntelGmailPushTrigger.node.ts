import {
	NodeConnectionTypes,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { testGoogleCredential } from '../EmailIntelGmailTrigger/credential-test';
import { checkExists, create, remove } from './activation';
import { pushTriggerProperties } from './description';
import { handlePush } from './webhook';

/**
 * Gmail, pushed: `users.watch` makes Gmail publish mailbox changes to a Pub/Sub topic, whose
 * push subscription POSTs to this node; each verified push runs the polling trigger's history
 * pass (exactly once: the history id is the cursor, committed with the items). The watch is
 * made on activation, renewed daily by the activation's timer, stopped on deactivation.
 */
export class EmailIntelGmailPushTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Email Intel Gmail Push Trigger',
		name: 'emailIntelGmailPushTrigger',
		icon: {
			light: 'file:../../icons/email-intel-gmail.svg',
			dark: 'file:../../icons/email-intel-gmail.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["labels"]}}',
		description:
			'Emits each new Gmail message of the watched labels once, with attachments, when Gmail pushes a change through Pub/Sub',
		defaults: { name: 'Email Intel Gmail Push Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'emailIntelGmailOAuth2Api',
				required: true,
				displayOptions: { show: { authentication: ['oAuth2'] } },
			},
			{
				name: 'emailIntelGoogleApi',
				required: true,
				testedBy: 'emailIntelGoogleApiTest',
				displayOptions: { show: { authentication: ['googleApi'] } },
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'gmail',
			},
		],
		properties: pushTriggerProperties,
	};

	methods = {
		credentialTest: { emailIntelGoogleApiTest: testGoogleCredential },
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return checkExists(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return create(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return remove(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return handlePush(this);
	}
}
