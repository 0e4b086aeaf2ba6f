import type { IHookFunctions } from 'n8n-workflow';

import {
	renewalFailure,
	scheduleRenewals,
	type UndeletedSubscription,
} from '../../lib/providers/graph';
import { errorMessage } from '../../lib/errors';
import { lockPrefixOf, openSession } from '../shared/microsoft365/core';

/**
 * Activation (checkExists found the subscriptions, or create made them): hand the activation an
 * hourly renewal round (lib/providers/graph/renewal-schedule.ts), so a mailbox without mail stays
 * subscribed. Test webhooks (manual mode) live two minutes and get none.
 *
 * The round uses this hook's context after the hook returned: n8n keeps the objects it needs
 * (workflow, credentials helper) alive, and reading the credential each round picks up an
 * edited secret. It starts from the static data as activation left it and takes newer
 * subscription records from the process (SubscriptionManager.reconcile): the webhook calls of
 * this process recreate and renew too, and save what they did.
 */
export function startRenewals(context: IHookFunctions): void {
	if (context.getMode() === 'manual') return;
	const url = context.getNodeWebhookUrl('default') as string;
	const data = context.getWorkflowStaticData('node');
	scheduleRenewals(
		lockPrefixOf(context),
		async () => {
			const session = await openSession(context);
			try {
				const state = session.prepareState(data);
				session.reconcile(state);
				// Renew only: see SubscriptionManager.renew for why this round never recreates.
				await session.renewDue(state, url, Date.now(), { recreateWhenGone: false });
			} finally {
				session.close();
			}
		},
		(error) => context.logger.error(renewalFailure(error)),
	);
}

/** Deactivation could not delete some subscriptions: say which, and what happens to them. */
export function reportUndeleted(context: IHookFunctions, undeleted: UndeletedSubscription[]): void {
	for (const left of undeleted)
		context.logger.error(
			`Microsoft 365 Mail Trigger: could not delete the Graph subscription ${left.id} of ${left.scope.upn} / ${left.scope.folder} (${errorMessage(left.error)}). Graph keeps sending its notifications to this n8n until ${left.expirationDateTime}, when it expires; delete it sooner with DELETE /subscriptions/${left.id}.`,
			{ subscriptionId: left.id, mailbox: left.scope.upn },
		);
}
