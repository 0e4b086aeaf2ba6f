import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { fetchMessageCapped } from '../../../../../lib/providers/imap/capped-fetch';
import { fetchWithSource } from '../../../../../lib/providers/imap/message-ops';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import {
	attachmentOptions,
	includeRawOption,
	policyFromParameters,
	type AttachmentOptionValues,
} from '../../../../shared/attachment-options';
import { n8nBinarySink, toNodeItem } from '../../../../shared/binary-sink';
import { addressFields, messageRef } from './address';

const properties: INodeProperties[] = [
	...addressFields,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [...attachmentOptions, includeRawOption],
	},
];

export const description = showFor(
	{ show: { resource: ['message'], operation: ['get'] } },
	properties,
);

/**
 * The message as the triggers emit it: the normalized item, kept attachments as binary
 * `attachment_0..n` (streamed into n8n's binary store), text cut at Max Text Length with
 * `textTruncated`. Read with BODY.PEEK (never marks the message \Seen); a body text far beyond
 * Max Text Length is fetched only in part (lib/providers/imap/capped-fetch.ts), unless the
 * whole .eml is asked for too.
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as AttachmentOptionValues & {
		includeRaw?: boolean;
	};
	const ref = await messageRef.call(this, itemIndex, session);
	const sink = n8nBinarySink(this);
	const policy = policyFromParameters(options);
	if (!options.includeRaw)
		return [await toNodeItem(this, await fetchMessageCapped(session, ref, policy, sink))];
	// One download feeds the parser and the .eml binary.
	const { source, ...parsed } = await fetchWithSource(session, ref, policy, sink);
	return [await toNodeItem(this, { ...parsed, raw: source })];
}
