import type { INodeProperties } from 'n8n-workflow';

import * as submit from './submit.operation';

export { submit };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['scanRequest'] } },
		options: [
			{
				name: 'Submit',
				value: 'submit',
				description:
					"Queue each attachment of an email item for scanning; dsx-connect reads it back through the DSX Connect Connector trigger's read_file",
				action: 'Submit scan request',
			},
		],
		default: 'submit',
	},
	...submit.description,
];
