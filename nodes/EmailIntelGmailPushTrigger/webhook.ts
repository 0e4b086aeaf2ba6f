import type { INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { errorMessage } from '../../lib/errors';
import { verifyGmailPush, type GmailPush } from '../../lib/providers/gmail';
import { toNodeItem } from '../shared/binary-sink';
import { toNodeError } from '../shared/errors';
import { openPushSession, pushTokenOptions } from './session';

/**
 * One Pub/Sub push. Order matters:
 * 1. Answer 204 before anything else: Pub/Sub redelivers what is not acknowledged within its
 *    deadline, and the answer is the same whether or not the push is genuine (a forged POST
 *    learns nothing). The push only says "history changed": the cursor, not the push, decides
 *    what is emitted, so a lost push costs nothing the next one does not bring.
 * 2. Verify the OIDC bearer token (signature against Google's keys, issuer, audience, expiry,
 *    the subscription's service account) and the body; anything else is logged and ignored.
 * 3. Skip a push the cursor covers already (repeated, late, or a pass waits to start that will
 *    read it), and one about another mailbox of a shared topic.
 * 4. The history pass, the polling trigger's own (lib/ingest; serialized per mailbox, a push
 *    during a pass folds into one pass after it); its items are this call's execution.
 */
export async function handlePush(context: IWebhookFunctions): Promise<IWebhookResponseData> {
	const res = context.getResponseObject();
	res.writeHead(204);
	res.end();

	let push: GmailPush;
	try {
		push = await verifyGmailPush(
			context.getHeaderData().authorization as string | undefined,
			context.getBodyData(),
			pushTokenOptions(context),
		);
	} catch (error) {
		context.logger.warn(`Email Intel Gmail Push Trigger: push ignored: ${errorMessage(error)}`);
		return { noWebhookResponse: true };
	}

	const opened = await openPushSession(context);
	try {
		const data = context.getWorkflowStaticData('node');
		const state = opened.session.prepareState(data);
		if (opened.session.foreign(state, push) || opened.session.covered(state, push))
			return { noWebhookResponse: true };
		const result = await opened.session.pass(state);
		if (!result) return { noWebhookResponse: true };
		for (const failure of result.failures)
			context.logger.error(
				`Email Intel Gmail Push Trigger: ${failure.error.message}; the mailbox keeps its cursor and is retried with the next push`,
				{ code: failure.error.code, field: failure.error.field },
			);
		const items: INodeExecutionData[] = [];
		for (const item of result.items)
			items.push(await toNodeItem(context, item, { rawFileName: `${item.email.id}.eml` }));
		return items.length > 0
			? { noWebhookResponse: true, workflowData: [items] }
			: { noWebhookResponse: true };
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	} finally {
		await opened.close();
	}
}
