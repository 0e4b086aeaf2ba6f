import type { INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import {
	notificationsOf,
	triageNotifications,
	triageView,
	type MailboxScope,
} from '../../lib/providers/graph';
import { region } from '../../lib/state/registry';
import { sleep } from '../../lib/util/sleep';
import { toNodeItem } from '../shared/binary-sink';
import { toNodeError } from '../shared/errors';
import { lockPrefixOf, openSession, readScopes } from '../shared/microsoft365/core';

/**
 * Graph sends notifications in bursts (one POST per message). The first POST of a quiet node
 * waits this long and then speaks for every POST that arrived meanwhile: one verification,
 * one triage, one delta pass. Mail is seconds old anyway; 200 ms is not felt.
 */
const BURST_GATHER_MS = 200;
/** Bodies one gathering call takes at most; beyond it a POST is handled on its own. */
const INBOX_CAP = 1000;

const inboxes = region<unknown[]>({
	name: 'graph.burstInboxes',
	holds: 'POST bodies waiting for the call that gathers a burst (at most INBOX_CAP)',
	key: 'owner',
	maxEntries: 10_000,
	ttlMs: 60_000,
	clearedWhen: 'the gathering call takes them, 200 ms after the burst began',
});

/**
 * One POST from Graph. Order matters:
 * 1. `?validationToken=` (subscription handshake): echo it as 200 text/plain, nothing else.
 * 2. Answer 202 before reading anything else: the answer is 202 whether or not the
 *    notification is genuine (Graph wants 2xx within 3 s and retries otherwise; a forged POST
 *    learns nothing), so nothing needs to run before it.
 * 3. If another call of this node is gathering a burst, hand it the body and stop: the rest of
 *    a burst costs n8n almost nothing beyond its 202.
 * 4. Otherwise gather, then verify every clientState in constant time and do the slow part:
 *    lifecycle handling, renewal, delta passes (lib/ingest through the session), items. A folder
 *    that fails keeps its cursor and does not hold back the others' items; the failure is
 *    logged and the folder's next notification (or renewal) retries it.
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

	const owner = lockPrefixOf(context);
	const gathering = inboxes.get(owner);
	if (gathering && gathering.length < INBOX_CAP) {
		gathering.push(context.getBodyData());
		return { noWebhookResponse: true };
	}
	const bodies: unknown[] = [context.getBodyData()];
	if (!gathering) {
		inboxes.set(owner, bodies);
		try {
			await sleep(BURST_GATHER_MS);
		} finally {
			if (inboxes.get(owner) === bodies) inboxes.delete(owner);
		}
	}

	const data = context.getWorkflowStaticData('node');
	let scopes: MailboxScope[];
	try {
		scopes = readScopes(context);
	} catch {
		scopes = [];
	}
	const plan = triageNotifications(
		{ value: bodies.flatMap(notificationsOf) },
		triageView(data, owner, scopes),
		scopes,
	);
	if (plan.accepted === 0) {
		if (plan.rejected > 0)
			context.logger.warn(
				`Ignored ${plan.rejected} Graph notification(s) with an unknown subscription or a wrong clientState`,
			);
		return { noWebhookResponse: true };
	}

	const session = await openSession(context, { drain: true });
	const url = context.getNodeWebhookUrl('default') as string;
	try {
		const state = session.prepareState(data);
		session.reconcile(state);
		// A pass already waiting behind a running one for these folders covers this burst too.
		if (session.coveredByQueuedPasses(state, plan)) return { noWebhookResponse: true };
		for (const scope of plan.renew) await session.renew(scope, state, url);
		for (const scope of plan.recreate) await session.recreate(scope, state, url);
		await session.renewDue(state, url);
		const items: INodeExecutionData[] = [];
		for (const scope of plan.deltaFor) {
			const result = await session.pass(scope, state);
			for (const parsed of result?.items ?? []) items.push(await toNodeItem(context, parsed));
			for (const failure of result?.failures ?? [])
				context.logger.error(
					`Microsoft 365 Mail Trigger: "${failure.scope}": ${failure.error.message}; the folder keeps its cursor and is retried with its next notification`,
					{ code: failure.error.code, field: failure.error.field },
				);
		}
		// Other calls may have recreated or renewed a subscription meanwhile: save the newest.
		session.reconcile(state);
		return items.length > 0
			? { noWebhookResponse: true, workflowData: [items] }
			: { noWebhookResponse: true };
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	} finally {
		session.close();
	}
}
