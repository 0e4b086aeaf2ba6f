import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { listMailboxes } from '../../../../../lib/providers/imap/mailboxes';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';

const properties: INodeProperties[] = [
	{
		displayName: 'Include Counts',
		name: 'includeCounts',
		type: 'boolean',
		default: true,
		description:
			"Whether to add each mailbox's message and unseen counts (STATUS; one round trip with LIST-STATUS)",
	},
];

export const description = showFor(
	{ show: { resource: ['mailbox'], operation: ['list'] } },
	properties,
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const counts = this.getNodeParameter('includeCounts', itemIndex, true) as boolean;
	const mailboxes = await listMailboxes(session, { counts });
	return mailboxes.map((mailbox) => ({ json: { ...mailbox } }));
}
