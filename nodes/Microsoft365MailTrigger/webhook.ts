import type { INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import {
	coveredByQueuedPasses,
	notificationsOf,
	reconcileState,
	triageNotifications,
	type GraphTriggerState,
	type MailboxScope,
} from '../../lib/providers/graph';
import { sleep } from '../../lib/util/sleep';
import { toNodeError } from '../shared/errors';
import { collectItems, lockPrefixOf, openSession, readScopes } from './shared/core';

/**
 * Graph sends notifications in bursts (one POST per message). The first POST of a quiet node
 * waits this long and then speaks for every POST that arrived meanwhile: one verification,
 * one triage, one delta pass. Mail is seconds old anyway; 200 ms is not felt.
 */
const BURST_GATHER_MS = 200;
/** Bodies one gathering call takes at most; beyond it a POST is handled on its own. */
const INBOX_CAP = 1000;

/**
 * POST bodies waiting for the call that gathers them, per trigger node. Process-wide like the
 * pass lock (lib/providers/graph/pass-lock.ts), bounded by INBOX_CAP, emptied after 200 ms.
 */
const inboxes = new Map<string, unknown[]>();

/**
 * One POST from Graph. Order matters:
 * 1. `?validationToken=` (subscription handshake): echo it as 200 text/plain, nothing else.
 * 2. Answer 202 before reading anything else: the answer is 202 whether or not the
 *    notification is genuine (Graph wants 2xx within 3 s and retries otherwise; a forged POST
 *    learns nothing), so nothing needs to run before it.
 * 3. If another call of this node is gathering a burst, hand it the body and stop: the rest of
 *    a burst costs n8n almost nothing beyond its 202.
 * 4. Otherwise gather, then verify every clientState in constant time and do the slow part:
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

	const lockPrefix = lockPrefixOf(context);
	const gathering = inboxes.get(lockPrefix);
	if (gathering && gathering.length < INBOX_CAP) {
		gathering.push(context.getBodyData());
		return { noWebhookResponse: true };
	}
	const bodies: unknown[] = [context.getBodyData()];
	if (!gathering) {
		inboxes.set(lockPrefix, bodies);
		try {
			await sleep(BURST_GATHER_MS);
		} finally {
			if (inboxes.get(lockPrefix) === bodies) inboxes.delete(lockPrefix);
		}
	}

	const state = context.getWorkflowStaticData('node') as GraphTriggerState;
	let scopes: MailboxScope[];
	try {
		scopes = readScopes(context);
	} catch {
		scopes = [];
	}
	reconcileState(lockPrefix, scopes, state);
	const plan = triageNotifications({ value: bodies.flatMap(notificationsOf) }, state, scopes);
	if (plan.accepted === 0) {
		if (plan.rejected > 0)
			context.logger.warn(
				`Ignored ${plan.rejected} Graph notification(s) with an unknown subscription or a wrong clientState`,
			);
		return { noWebhookResponse: true };
	}
	// A pass already waiting behind a running one for these folders covers this burst too.
	if (coveredByQueuedPasses(lockPrefix, plan)) return { noWebhookResponse: true };

	const session = await openSession(context);
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
