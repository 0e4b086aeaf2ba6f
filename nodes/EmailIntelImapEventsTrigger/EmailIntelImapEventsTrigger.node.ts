import {
	NodeConnectionTypes,
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';

import { testImapCredential } from '../EmailIntelImapTrigger/credential-test';
import { eventsTriggerProperties } from './description';
import { startEventsTrigger } from './trigger';

/**
 * Watches IMAP mailboxes over IDLE and emits messageNew (the normalized email), messageUpdated
 * (flags added/removed) and messageDeleted (UID) as they happen, each once, catching up after a
 * reconnect with CONDSTORE/QRESYNC. Read-only: mailboxes are EXAMINEd, bodies fetched with PEEK.
 */
export class EmailIntelImapEventsTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Email Intel IMAP Events Trigger',
		name: 'emailIntelImapEventsTrigger',
		icon: {
			light: 'file:../../icons/email-intel-imap.svg',
			dark: 'file:../../icons/email-intel-imap.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["mailboxes"]}}',
		description:
			'Emits new, changed and deleted emails of IMAP mailboxes as they happen (IDLE), without marking them read',
		defaults: { name: 'Email Intel IMAP Events Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'emailIntelImapApi', required: true, testedBy: 'emailIntelImapApiTest' }],
		properties: eventsTriggerProperties,
	};

	methods = {
		credentialTest: { emailIntelImapApiTest: testImapCredential },
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		return startEventsTrigger(this);
	}
}
