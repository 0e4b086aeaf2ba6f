import { timingSafeEqual } from 'node:crypto';

import { newestSubscription, recentActivation, type GraphActivation } from './pass-lock';
import { scopeKey, type GraphTriggerState, type MailboxScope } from './state';

export interface GraphNotification {
	subscriptionId?: string;
	clientState?: string;
	changeType?: string;
	resource?: string;
	lifecycleEvent?: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed' | string;
}

export interface NotificationPlan {
	/** Notifications whose clientState matched a subscription we own. */
	accepted: number;
	rejected: number;
	/** Folders that need a delta pass. */
	deltaFor: MailboxScope[];
	renew: MailboxScope[];
	recreate: MailboxScope[];
}

/** Constant-time clientState check (equal-length buffers for timingSafeEqual). */
export function clientStateMatches(expected: string | undefined, given: unknown): boolean {
	if (!expected || typeof given !== 'string') return false;
	const a = Buffer.from(expected, 'utf8');
	const b = Buffer.from(given, 'utf8');
	if (a.length !== b.length) {
		timingSafeEqual(a, a); // same work either way
		return false;
	}
	return timingSafeEqual(a, b);
}

/** The notifications of one POST body; anything that is not Graph's `{ value: [...] }` has none. */
export function notificationsOf(body: unknown): GraphNotification[] {
	const value = (body as { value?: unknown } | undefined)?.value;
	return Array.isArray(value) ? (value as GraphNotification[]) : [];
}

/**
 * Sorts a notification POST (or the merged notifications of a burst): which notifications
 * are ours (known subscription id and the right clientState, compared in constant time),
 * which folders need a delta pass, which subscriptions need renewal or re-creation. Needs no
 * network.
 */
export function triageNotifications(
	body: unknown,
	state: Pick<GraphTriggerState, 'clientState' | 'scopes'>,
	scopes: MailboxScope[],
): NotificationPlan {
	const plan: NotificationPlan = {
		accepted: 0,
		rejected: 0,
		deltaFor: [],
		renew: [],
		recreate: [],
	};
	const add = (list: MailboxScope[], scope: MailboxScope) => {
		if (!list.some((s) => scopeKey(s) === scopeKey(scope))) list.push(scope);
	};
	for (const notification of notificationsOf(body)) {
		const id = notification?.subscriptionId;
		const scope = id
			? scopes.find((candidate) => state.scopes?.[scopeKey(candidate)]?.subscription?.id === id)
			: undefined;
		if (!scope || !clientStateMatches(state.clientState, notification?.clientState)) {
			plan.rejected++;
			continue;
		}
		plan.accepted++;
		switch (notification.lifecycleEvent) {
			case 'reauthorizationRequired':
				add(plan.renew, scope);
				break;
			case 'subscriptionRemoved':
				add(plan.recreate, scope);
				add(plan.deltaFor, scope);
				break;
			default:
				// `missed`, and every change notification: the delta pass is the source of truth.
				add(plan.deltaFor, scope);
		}
	}
	return plan;
}

/**
 * What triage needs from a webhook call's copy of static data, without the credential (a POST
 * is answered and sorted before any decryption): the clientState (from static data, or from
 * the activation n8n has not saved yet) and the newest subscription id of each folder.
 */
export function triageView(
	data: object,
	owner: string,
	scopes: MailboxScope[],
): Pick<GraphTriggerState, 'clientState' | 'scopes'> {
	const stored = data as Partial<GraphTriggerState> & { folders?: GraphTriggerState['scopes'] };
	const activation = recentActivation<GraphActivation>(owner);
	const epoch = stored.epoch ?? activation?.epoch;
	const view: Pick<GraphTriggerState, 'clientState' | 'scopes'> = {
		clientState: stored.clientState ?? activation?.clientState,
		scopes: {},
	};
	const folders = stored.scopes ?? stored.folders ?? {};
	for (const scope of scopes) {
		const key = scopeKey(scope);
		const subscription = newestSubscription(`${owner}:${epoch}:${key}`, folders[key]?.subscription);
		if (subscription) view.scopes[key] = { subscription };
	}
	return view;
}
