import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as createFromEmail from './createFromEmail.operation';

export { create, createFromEmail };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['report'] } },
		options: [
			{
				name: 'Create From Email',
				value: 'createFromEmail',
				description:
					'Create a report from an email item, like the OpenCTI Email Intel IMAP connector',
				action: 'Create a report from an email',
			},
			{
				name: 'Create',
				value: 'create',
				description: 'Create a report from fields',
				action: 'Create a report',
			},
		],
		default: 'createFromEmail',
	},
	...createFromEmail.description,
	...create.description,
];
