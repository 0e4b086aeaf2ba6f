import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { download } from '../../../../../lib/providers/imap/actions';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import { addressFields, messageRef, refJson } from './address';
import { binaryPropertyField } from './binary-property';

export const description = showFor({ show: { resource: ['message'], operation: ['getSource'] } }, [
	...addressFields,
	binaryPropertyField,
]);

/** The raw RFC 822 source as a `.eml` binary, streamed from the server into n8n's binary store. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const ref = await messageRef.call(this, itemIndex, session);
	const property = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
	const source = await download(session, ref);
	const binary = await this.helpers.prepareBinaryData(
		source,
		`message-${ref.uid}.eml`,
		'message/rfc822',
	);
	binary.fileName = `message-${ref.uid}.eml`;
	binary.mimeType = 'message/rfc822';
	return [
		{
			json: { ...refJson(session, ref), fileName: binary.fileName, mimeType: binary.mimeType },
			binary: { [property]: binary },
		},
	];
}
