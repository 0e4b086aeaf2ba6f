import type { INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import {
	coveredByQueuedPasses,
	reconcileState,
	triageNotifications,
	type GraphTriggerState,
	type MailboxScope,
} from '../../lib/providers/graph';
import { afterPendingIo } from '../../lib/util/sleep';
import { toNodeError } from '../shared/errors';
import { collectItems, lockPrefixOf, openSession, readScopes } from './shared/core';

/**
 * Graph sends notifications in bursts (one per message). The first one of a quiet folder waits
 * this long before its delta pass, so the rest of the burst rides on that pass and the event
 * loop answers their 202s meanwhile. Mail is seconds old anyway; 200 ms is not felt.
 */
const BURST_GATHER_MS = 200;

/**
 * One POST from Graph. Order matters:
 * 1. `?validationToken=` (subscription handshake): echo it as 200 text/plain, nothing else.
 * 2. Answer 202 before reading anything else: the answer is 202 whether or not the
 *    notification is genuine (Graph wants 2xx within 3 s and retries otherwise; a forged POST
 *    learns nothing), so nothing needs to run before it.
 * 3. Let the event loop take the other POSTs of the burst that are already waiting (their
 *    202s come first), then verify each clientState in constant time and do the slow part:
 *    lifecycle handling, renewal, delta passes, items.
 */
export async function handleNotification(
	context: IWebhookFunctions,
): Promise<IWebhookResponseData> {
	const res = context.getResponseObject();
	const query = context.getQueryData() as { validationToken?: unknown };
	if (typeof query.validationToken === 'string') {
		res.writeHead(200, {
			'Content-Type': 'text/plain; charset=utf-8',
			'X-Content-Type-Options': 'nosniff',
		});
		res.end(query.validationToken);
		return { noWebhookResponse: true };
	}
	res.writeHead(202);
	res.end();
	await afterPendingIo();

	const state = context.getWorkflowStaticData('node') as GraphTriggerState;
	let scopes: MailboxScope[];
	try {
		scopes = readScopes(context);
	} catch {
		scopes = [];
	}
	const lockPrefix = lockPrefixOf(context);
	reconcileState(lockPrefix, scopes, state);
	const plan = triageNotifications(context.getBodyData(), state, scopes);
	if (plan.accepted === 0) {
		if (plan.rejected > 0)
			context.logger.warn(
				`Ignored ${plan.rejected} Graph notification(s) with an unknown subscription or a wrong clientState`,
			);
		return { noWebhookResponse: true };
	}
	// Bursts: most POSTs find a pass already queued for their folder; that pass covers them.
	if (coveredByQueuedPasses(lockPrefix, plan)) return { noWebhookResponse: true };

	const session = await openSession(context, { gatherMs: BURST_GATHER_MS });
	const url = context.getNodeWebhookUrl('default') as string;
	try {
		for (const scope of plan.renew) await session.renew(scope, state, url);
		for (const scope of plan.recreate) await session.recreate(scope, state, url);
		await session.renewDue(state, url);
		const items: INodeExecutionData[] = await collectItems(context, session, state, plan.deltaFor);
		// Other calls may have recreated or renewed a subscription meanwhile: save the newest.
		reconcileState(lockPrefix, scopes, state);
		return items.length > 0
			? { noWebhookResponse: true, workflowData: [items] }
			: { noWebhookResponse: true };
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	} finally {
		session.close();
	}
}
