import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { moveExisting } from '../../../../../lib/providers/imap/message-ops';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import { addressFields, messageRef, refJson } from './address';
import { destinationField } from './destination';

export const description = showFor({ show: { resource: ['message'], operation: ['move'] } }, [
	...addressFields,
	destinationField,
]);

/** Moves the message (MOVE, RFC 6851); the output's locator is the message at its new place. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const ref = await messageRef.call(this, itemIndex, session);
	const destination = (this.getNodeParameter('destination', itemIndex) as string).trim();
	const moved = await moveExisting(session, ref, destination);
	return [{ json: { ...refJson(session, moved), movedFrom: refJson(session, ref) } }];
}
