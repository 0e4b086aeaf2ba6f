import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { createMailbox } from '../../../../../lib/providers/imap/mailboxes';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import { pathField } from './path';

export const description = showFor({ show: { resource: ['mailbox'], operation: ['create'] } }, [
	pathField,
]);

/** `created: false` when the mailbox was there already (RFC 5530 ALREADYEXISTS): not an error. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const path = this.getNodeParameter('path', itemIndex) as string;
	return [{ json: { ...(await createMailbox(session, path)) } }];
}
