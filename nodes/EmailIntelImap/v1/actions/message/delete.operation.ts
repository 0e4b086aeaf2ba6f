import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { deleteMessage } from '../../../../../lib/providers/imap/message-ops';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import { addressFields, messageRef, refJson } from './address';

export const description = showFor({ show: { resource: ['message'], operation: ['delete'] } }, [
	...addressFields,
	{
		displayName: 'Delete Permanently',
		name: 'permanent',
		type: 'boolean',
		default: false,
		description:
			'Whether to expunge the message at once instead of moving it to the Trash mailbox (messages already in Trash are always expunged)',
	},
]);

/**
 * To Trash (SPECIAL-USE \Trash) when the server has one; else \Deleted + UID EXPUNGE of this
 * message alone. Without UIDPLUS a plain EXPUNGE is refused when other mail is flagged \Deleted.
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const ref = await messageRef.call(this, itemIndex, session);
	const permanent = this.getNodeParameter('permanent', itemIndex, false) as boolean;
	const result = await deleteMessage(session, ref, { permanent });
	return [
		{
			json: {
				...refJson(session, ref),
				deleted: true,
				action: result.action,
				...(result.trashed ? { trash: refJson(session, result.trashed) } : {}),
			},
		},
	];
}
