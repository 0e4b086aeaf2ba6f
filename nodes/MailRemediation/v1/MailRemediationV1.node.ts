import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeBaseDescription,
	INodeTypeDescription,
} from 'n8n-workflow';

import { testGoogleCredential } from '../../EmailIntelGmailTrigger/credential-test';
import { testGraphCredential } from '../../shared/microsoft365/core';
import { testImapCredential } from '../../shared/imap-credential';
import { router } from './actions/router';
import { versionDescription } from './actions/versionDescription';

// The icon is set in versionDescription.ts, relative to the wrapper MailRemediation.node.ts as n8n
// resolves it for every version; this rule only sees literal `description` class fields.
// eslint-disable-next-line @n8n/community-nodes/icon-validation
export class MailRemediationV1 implements INodeType {
	description: INodeTypeDescription;

	constructor(baseDescription: INodeTypeBaseDescription) {
		this.description = { ...baseDescription, ...versionDescription };
	}

	methods = {
		credentialTest: {
			microsoftGraphAppApiTest: testGraphCredential,
			emailIntelImapApiTest: testImapCredential,
			emailIntelGoogleApiTest: testGoogleCredential,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
