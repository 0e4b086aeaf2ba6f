import type { INodeProperties } from 'n8n-workflow';

import * as copy from './copy.operation';
import * as deleteMessage from './delete.operation';
import * as downloadAttachment from './downloadAttachment.operation';
import * as findByMessageId from './findByMessageId.operation';
import * as get from './get.operation';
import * as getSource from './getSource.operation';
import * as list from './list.operation';
import * as move from './move.operation';
import * as send from './send.operation';
import * as updateFlags from './updateFlags.operation';

export { copy, downloadAttachment, findByMessageId, get, getSource, list, move, send, updateFlags };
export { deleteMessage as delete };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
			{
				name: 'Copy',
				value: 'copy',
				description: 'Copy a message to another mailbox',
				action: 'Copy a message',
			},
			{
				name: 'Delete',
				value: 'delete',
				description: 'Move a message to Trash, or expunge it',
				action: 'Delete a message',
			},
			{
				name: 'Download Attachment',
				value: 'downloadAttachment',
				description: 'Download one attachment as binary data',
				action: 'Download an attachment',
			},
			{
				name: 'Find by Message-ID',
				value: 'findByMessageId',
				description: 'Find every copy of a message in all mailboxes',
				action: 'Find a message by message ID',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a message as the triggers emit it, attachments as binary data',
				action: 'Get a message',
			},
			{
				name: 'Get Raw Source',
				value: 'getSource',
				description: 'Get the original message as an .eml file',
				action: 'Get the raw source of a message',
			},
			{
				name: 'List',
				value: 'list',
				description: 'List the messages of a mailbox, newest first, a page at a time',
				action: 'List messages',
			},
			{
				name: 'Move',
				value: 'move',
				description: 'Move a message to another mailbox',
				action: 'Move a message',
			},
			{
				name: 'Send',
				value: 'send',
				description: 'Send an email over SMTP: new, reply, reply all or forward',
				action: 'Send an email',
			},
			{
				name: 'Update Flags',
				value: 'updateFlags',
				description: 'Add, remove or set flags and keywords',
				action: 'Update the flags of a message',
			},
		],
		default: 'get',
	},
	...list.description,
	...get.description,
	...getSource.description,
	...downloadAttachment.description,
	...updateFlags.description,
	...move.description,
	...copy.description,
	...deleteMessage.description,
	...findByMessageId.description,
	...send.description,
];
