import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { errorMessage } from '../../lib/errors';
import { parseLocation } from '../../lib/scan/dsx-connect/location';
import type { ScanRequest } from '../../lib/scan/dsx-connect/types';
import type { VerifiedCall } from './inbound';

/**
 * `PUT {connector}/item_action` (dsx-connect found the file Malicious): one item for the workflow
 * to remediate with — the message's `locator` (what the pack's action nodes take), the attachment
 * id, the declared action and the whole scan request. The answer is the workflow's last node
 * (Respond: When Last Node Finishes) or 202 accepted at once.
 */
export function itemAction(context: IWebhookFunctions, call: VerifiedCall): IWebhookResponseData {
	const res = context.getResponseObject();
	let request: ScanRequest;
	let location: ReturnType<typeof parseLocation>;
	try {
		request = JSON.parse(call.body.toString('utf8')) as ScanRequest;
		location = parseLocation(request.location);
	} catch (error) {
		res.writeHead(400, { 'content-type': 'application/json' });
		res.end(
			JSON.stringify({ status: 'error', message: errorMessage(error), item_action: 'nothing' }),
		);
		return { noWebhookResponse: true };
	}
	const { message } = location;
	const json: IDataObject = {
		event: 'item_action',
		itemAction: request.connector?.item_action ?? context.getNodeParameter('itemAction', 'movetag'),
		itemActionMoveMetainfo: request.connector?.item_action_move_metainfo ?? '',
		location: request.location,
		locator: location.locator,
		attachmentId: location.attachmentId,
		provider: message.provider,
		account: message.account,
		...(message.mailbox ? { mailbox: message.mailbox } : {}),
		id: message.id,
		...(message.uid !== undefined ? { uid: message.uid, uidValidity: message.uidValidity } : {}),
		metainfo: request.metainfo,
		sizeInBytes: request.size_in_bytes ?? null,
		scanJobId: request.scan_job_id ?? null,
		scanRequest: request as unknown as IDataObject,
	};
	const workflowData = [[{ json }]];
	if (String(context.getNodeParameter('respond', 'lastNode')) === 'onReceived') {
		res.writeHead(202, { 'content-type': 'application/json' });
		res.end(
			JSON.stringify({
				status: 'success',
				message: 'accepted: the n8n workflow remediates after this answer',
				item_action: json.itemAction,
			}),
		);
		return { noWebhookResponse: true, workflowData };
	}
	return { workflowData };
}
