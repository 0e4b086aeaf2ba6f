import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { renameMailbox } from '../../../../../lib/providers/imap/mailboxes';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import { pathField } from './path';

export const description = showFor({ show: { resource: ['mailbox'], operation: ['rename'] } }, [
	pathField,
	{
		displayName: 'New Path',
		name: 'newPath',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'Archive/2026-closed',
		description: 'The full new path; a different parent moves the mailbox',
	},
]);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const path = this.getNodeParameter('path', itemIndex) as string;
	const newPath = this.getNodeParameter('newPath', itemIndex) as string;
	return [{ json: { ...(await renameMailbox(session, path, newPath)) } }];
}
