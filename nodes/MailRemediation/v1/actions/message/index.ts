import type { INodeProperties } from 'n8n-workflow';

import * as release from './release.operation';
import * as remediate from './remediate.operation';

export { release, remediate };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
			{
				name: 'Remediate',
				value: 'remediate',
				description:
					'Delete malicious attachments, add a banner, tag, add headers or categories, quarantine',
				action: 'Remediate an email',
			},
			{
				name: 'Release',
				value: 'release',
				description: 'Move a quarantined email back to the folder it came from',
				action: 'Release an email from quarantine',
			},
		],
		default: 'remediate',
	},
	...remediate.description,
	...release.description,
];
