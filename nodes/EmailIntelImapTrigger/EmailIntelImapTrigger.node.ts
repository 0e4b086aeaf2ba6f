import {
	NodeConnectionTypes,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { testImapCredential } from './credential-test';
import { triggerProperties } from './description';
import { pollTrigger } from './poll';

/**
 * Polls IMAP mailboxes and emits one normalized email item per new message, attachments as
 * binary data. Exactly once: per-mailbox UID cursors, UIDVALIDITY-aware, read-only (no \Seen).
 */
export class EmailIntelImapTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Email Intel IMAP Trigger',
		name: 'emailIntelImapTrigger',
		icon: {
			light: 'file:../../icons/email-intel-imap.svg',
			dark: 'file:../../icons/email-intel-imap.dark.svg',
		},
		group: ['trigger'],
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{$parameter["mailboxes"]}}',
		description:
			'Emits each new email of IMAP mailboxes once, with attachments, without marking it read',
		defaults: { name: 'Email Intel IMAP Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'emailIntelImapApi', required: true, testedBy: 'emailIntelImapApiTest' }],
		properties: triggerProperties,
	};

	methods = {
		credentialTest: { emailIntelImapApiTest: testImapCredential },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return pollTrigger(this);
	}
}
