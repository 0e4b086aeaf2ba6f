import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as deleteMailbox from './delete.operation';
import * as list from './list.operation';
import * as rename from './rename.operation';

export { create, list, rename };
export { deleteMailbox as delete };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['mailbox'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Create a mailbox (folder) and subscribe to it',
				action: 'Create a mailbox',
			},
			{
				name: 'Delete',
				value: 'delete',
				description: 'Delete a mailbox and the messages in it',
				action: 'Delete a mailbox',
			},
			{
				name: 'List',
				value: 'list',
				description: 'List every mailbox with its special use and message counts',
				action: 'List mailboxes',
			},
			{
				name: 'Rename',
				value: 'rename',
				description: 'Rename or move a mailbox',
				action: 'Rename a mailbox',
			},
		],
		default: 'list',
	},
	...list.description,
	...create.description,
	...rename.description,
	...deleteMailbox.description,
];
