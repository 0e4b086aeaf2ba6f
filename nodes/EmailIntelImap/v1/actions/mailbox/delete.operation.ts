import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { deleteMailbox } from '../../../../../lib/providers/imap/mailboxes';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import { pathField } from './path';

export const description = showFor({ show: { resource: ['mailbox'], operation: ['delete'] } }, [
	pathField,
]);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const path = this.getNodeParameter('path', itemIndex) as string;
	return [{ json: { ...(await deleteMailbox(session, path)), deleted: true } }];
}
