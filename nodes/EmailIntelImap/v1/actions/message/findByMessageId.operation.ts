import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { findByMessageId } from '../../../../../lib/providers/imap/find';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';

export const description = showFor(
	{ show: { resource: ['message'], operation: ['findByMessageId'] } },
	[
		{
			displayName: 'Message-ID',
			name: 'messageId',
			type: 'string',
			default: '={{ $json.messageId }}',
			required: true,
			placeholder: '<abc123@example.com>',
			description: 'The Message-ID header, with or without angle brackets',
		},
	],
);

/** One item per copy found, in any mailbox of the account, each with its locator; none: no items. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const messageId = this.getNodeParameter('messageId', itemIndex) as string;
	const copies = await findByMessageId(session, messageId);
	return copies.map((entry) => ({ json: { ...entry } }));
}
