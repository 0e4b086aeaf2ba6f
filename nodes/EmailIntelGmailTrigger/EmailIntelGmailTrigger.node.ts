import {
	NodeConnectionTypes,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { testGoogleCredential } from './credential-test';
import { triggerProperties } from './description';
import { pollTrigger } from './poll';

/**
 * Polls a Gmail mailbox and emits one normalized email item per new message of the watched
 * labels, attachments as binary data. Exactly once: Gmail's history id as the cursor, a full
 * sync of the start window on the first run and when the id expires, without re-emitting.
 */
export class EmailIntelGmailTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Email Intel Gmail Trigger',
		name: 'emailIntelGmailTrigger',
		icon: {
			light: 'file:../../icons/email-intel-gmail.svg',
			dark: 'file:../../icons/email-intel-gmail.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["labels"]}}',
		description:
			'Emits each new Gmail message of the watched labels once, with attachments, from its history',
		defaults: { name: 'Email Intel Gmail Trigger' },
		polling: true,
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
		properties: triggerProperties,
	};

	methods = {
		credentialTest: { emailIntelGoogleApiTest: testGoogleCredential },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return pollTrigger(this);
	}
}
