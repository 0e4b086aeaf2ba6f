import type { IHookFunctions } from 'n8n-workflow';

import { errorMessage } from '../../lib/errors';
import type { GmailPushState } from '../../lib/providers/gmail';
import { clearOwner } from '../../lib/state/registry';
import { cancelRenewals, scheduleRenewals } from '../../lib/state/renewal-schedule';
import { toNodeError } from '../shared/errors';
import { openPushSession, ownerOf } from './session';

/**
 * How often the activation's timer looks at the watch. Gmail keeps a watch 7 days; it is renewed
 * once a day (Google's advice), so a failed round has days of later rounds before anything lapses.
 */
export const WATCH_CHECK_MS = 60 * 60_000;

/**
 * n8n's webhook methods for the push trigger. n8n calls checkExists on every activation (and
 * start); when it answers false, create. Gmail has no call that lists watches: the watch
 * recorded in static data is the answer, and a watch is idempotent (a second users.watch
 * replaces the first), so a record that is stale costs one more users.watch, never a lost push.
 */
export async function checkExists(context: IHookFunctions): Promise<boolean> {
	const opened = await openPushSession(context);
	try {
		const state = opened.session.prepareState(context.getWorkflowStaticData('node'));
		if (!opened.session.watchMatches(state, opened.topicName)) return false;
		// Started again (n8n restarted): renew now if the day is up, then daily.
		await opened.session.renewDue(state);
		startRenewals(context);
		return true;
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	} finally {
		await opened.close();
	}
}

export async function create(context: IHookFunctions): Promise<boolean> {
	const opened = await openPushSession(context);
	try {
		const state = opened.session.prepareState(context.getWorkflowStaticData('node'));
		await opened.session.watch(state, opened.topicName);
		startRenewals(context);
		return true;
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	} finally {
		await opened.close();
	}
}

export async function remove(context: IHookFunctions): Promise<boolean> {
	if (context.getMode() === 'manual') {
		// A test webhook going away ("Listen for test event" ended): users.stop ends EVERY watch of
		// the mailbox, the active workflow's too. The test's watch is the same watch (a second
		// users.watch replaces the first), so it stays; the active workflow renews it.
		clearOwner(ownerOf(context));
		return true;
	}
	// First the timer, and a renewal in flight: a users.watch after users.stop would restart pushes.
	await cancelRenewals(ownerOf(context));
	const opened = await openPushSession(context);
	try {
		await opened.session.stop(
			opened.session.prepareState(context.getWorkflowStaticData('node')) as GmailPushState,
		);
		return true;
	} catch (error) {
		context.logger.error(
			`Email Intel Gmail Push Trigger: users.stop failed (${errorMessage(error)}); Gmail goes on publishing to the topic until the watch expires (at most 7 days). Pushes to a deactivated workflow are answered 404 by n8n.`,
		);
		return false;
	} finally {
		await opened.close();
		// Deactivated: nothing this node kept in process memory may outlive it.
		clearOwner(ownerOf(context));
	}
}

/**
 * The activation's daily users.watch (lib/state/renewal-schedule.ts), whatever the traffic. Test
 * webhooks (manual mode) live two minutes and get none. The round works on the static data the
 * activation left: n8n does not save it after a hook has returned, which is harmless here (a
 * stale record after a restart only means checkExists watches once more).
 */
function startRenewals(context: IHookFunctions): void {
	if (context.getMode() === 'manual') return;
	const data = context.getWorkflowStaticData('node');
	scheduleRenewals(
		ownerOf(context),
		async () => {
			const opened = await openPushSession(context);
			try {
				await opened.session.renewDue(opened.session.prepareState(data));
			} finally {
				await opened.close();
			}
		},
		(error) =>
			context.logger.error(
				`Email Intel Gmail Push Trigger: renewing the Gmail watch failed (${errorMessage(error)}); retried within the hour, and the watch lasts days after it is due`,
			),
		WATCH_CHECK_MS,
	);
}
