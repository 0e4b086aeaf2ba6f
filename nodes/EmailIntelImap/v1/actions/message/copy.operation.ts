import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { copyMessage } from '../../../../../lib/providers/imap/message-ops';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import { addressFields, messageRef, refJson } from './address';
import { destinationField } from './destination';

export const description = showFor({ show: { resource: ['message'], operation: ['copy'] } }, [
	...addressFields,
	destinationField,
]);

/** Copies the message; the output's locator is the copy (when the server reports COPYUID). */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const ref = await messageRef.call(this, itemIndex, session);
	const destination = (this.getNodeParameter('destination', itemIndex) as string).trim();
	const copy = await copyMessage(session, ref, destination);
	return [{ json: { ...refJson(session, copy), copiedFrom: refJson(session, ref) } }];
}
