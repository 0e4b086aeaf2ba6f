import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeBaseDescription,
	INodeTypeDescription,
} from 'n8n-workflow';

import { router } from './actions/router';
import { versionDescription } from './actions/versionDescription';
import { testClamAvCredential } from './transport/credential-test';

// The icon is set in versionDescription.ts, relative to the wrapper ClamAv.node.ts as n8n
// resolves it for every version; this rule only sees literal `description` class fields.
// eslint-disable-next-line @n8n/community-nodes/icon-validation
export class ClamAvV1 implements INodeType {
	description: INodeTypeDescription;

	constructor(baseDescription: INodeTypeBaseDescription) {
		this.description = { ...baseDescription, ...versionDescription };
	}

	methods = {
		credentialTest: { clamAvApiTest: testClamAvCredential },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
