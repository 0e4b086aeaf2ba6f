import { MailIntelError } from '../../errors';
import type { GraphClient } from './client';
import { nextSetAt, newestSubscription, rememberSubscription } from './pass-lock';
import { scopeKey, type FolderState, type GraphTriggerState, type MailboxScope } from './state';
import {
	createSubscription,
	deleteSubscription,
	getSubscription,
	needsRenewal,
	newClientState,
	renewSubscription,
	type GraphSubscription,
} from './subscriptions';

/** A subscription deactivation could not delete, and why. */
export interface UndeletedSubscription {
	scope: MailboxScope;
	id: string;
	expirationDateTime: string;
	error: unknown;
}

/**
 * The life cycle of the webhook node's subscriptions, one per folder: create on activation,
 * renew with less than 24 h left, recreate when Graph removed one, delete on deactivation. Each
 * change lands in `state` and in the process-wide record (pass-lock.ts) that concurrent webhook
 * calls reconcile with.
 */
export class SubscriptionManager {
	constructor(
		private readonly client: GraphClient,
		private readonly scopes: MailboxScope[],
		/** Prefix of the folder keys in pass-lock.ts: `${owner}:${epoch}`. */
		private readonly keyOf: (scope: MailboxScope) => string,
		/** The folder's id for the subscription resource (folders.ts); as configured without it. */
		private readonly folderIdOf: (scope: MailboxScope) => Promise<string> = async (scope) =>
			scope.folder,
	) {}

	/** True when every scope has a live subscription on Graph pointing at `notificationUrl`. */
	async allExist(state: GraphTriggerState, notificationUrl: string): Promise<boolean> {
		for (const scope of this.scopes) {
			const known = state.scopes?.[scopeKey(scope)]?.subscription;
			if (!known || !state.clientState) return false;
			const live = await getSubscription(this.client, known.id, scope.upn);
			if (!live || (live.notificationUrl && live.notificationUrl !== notificationUrl)) return false;
		}
		return true;
	}

	/** Creates what is missing (after removing stale ones) and records them in state. */
	async createAll(state: GraphTriggerState, notificationUrl: string): Promise<GraphSubscription[]> {
		state.clientState ??= newClientState();
		const created: GraphSubscription[] = [];
		for (const scope of this.scopes)
			created.push(await this.recreate(scope, state, notificationUrl));
		return created;
	}

	async recreate(
		scope: MailboxScope,
		state: GraphTriggerState,
		notificationUrl: string,
	): Promise<GraphSubscription> {
		state.clientState ??= newClientState();
		const folder = this.folder(state, scope);
		if (folder.subscription)
			await deleteSubscription(this.client, folder.subscription.id, scope.upn);
		const subscription = await createSubscription(this.client, {
			upn: scope.upn,
			folder: await this.folderIdOf(scope),
			notificationUrl,
			lifecycleNotificationUrl: notificationUrl,
			clientState: state.clientState,
		});
		folder.subscription = {
			id: subscription.id,
			expirationDateTime: subscription.expirationDateTime,
			setAt: nextSetAt(),
		};
		rememberSubscription(this.keyOf(scope), folder.subscription);
		return subscription;
	}

	/**
	 * `recreateWhenGone: false` (the activation's renewal round): a subscription Graph no longer
	 * has is reported, not replaced. In queue mode the round runs on the main process, which
	 * cannot save static data: a subscription it created would be unknown to the webhook
	 * processors, which would then refuse its notifications. A removed subscription is
	 * recreated by the webhook call that receives Graph's `subscriptionRemoved`, and an expired
	 * one by the next activation.
	 */
	async renew(
		scope: MailboxScope,
		state: GraphTriggerState,
		notificationUrl: string,
		{ recreateWhenGone = true }: { recreateWhenGone?: boolean } = {},
	): Promise<void> {
		const folder = this.folder(state, scope);
		if (!folder.subscription) {
			if (!recreateWhenGone) return;
			await this.recreate(scope, state, notificationUrl);
			return;
		}
		try {
			const renewed = await renewSubscription(this.client, folder.subscription.id, scope.upn);
			folder.subscription = {
				...folder.subscription,
				expirationDateTime: renewed.expirationDateTime,
				setAt: nextSetAt(),
			};
			rememberSubscription(this.keyOf(scope), folder.subscription);
		} catch (error) {
			// Graph forgot it (expired, removed): a new one, and the caller's delta pass covers the gap.
			if (!(error instanceof MailIntelError && error.status === 404)) throw error;
			if (recreateWhenGone) await this.recreate(scope, state, notificationUrl);
			else
				throw new MailIntelError(
					`the Graph subscription ${folder.subscription.id} of ${scope.upn} / ${scope.folder} is gone (expired or removed)`,
					{
						source: 'graph',
						status: 404,
						code: 'SUBSCRIPTION_GONE',
						hint: 'The next subscriptionRemoved notification recreates it; if the subscription expired (renewals failed for a day), deactivate and activate the workflow.',
						cause: error,
					},
				);
		}
	}

	/** Renews every subscription with less than 24 h left; returns the scopes renewed. */
	async renewDue(
		state: GraphTriggerState,
		notificationUrl: string,
		now = Date.now(),
		options: { recreateWhenGone?: boolean } = {},
	): Promise<MailboxScope[]> {
		const renewed: MailboxScope[] = [];
		for (const scope of this.scopes) {
			const subscription = state.scopes?.[scopeKey(scope)]?.subscription;
			if (subscription && needsRenewal(subscription.expirationDateTime, now)) {
				await this.renew(scope, state, notificationUrl, options);
				renewed.push(scope);
			}
		}
		return renewed;
	}

	/**
	 * Deactivation: deletes every subscription (the client renews a refused token once first).
	 * One that cannot be deleted does not stop the others; it is returned so the node can say
	 * which one is left on Graph (it expires by itself at `expirationDateTime`).
	 */
	async deleteAll(state: GraphTriggerState): Promise<UndeletedSubscription[]> {
		const undeleted: UndeletedSubscription[] = [];
		for (const scope of this.scopes) {
			const folder = state.scopes?.[scopeKey(scope)];
			if (!folder?.subscription) continue;
			try {
				await deleteSubscription(this.client, folder.subscription.id, scope.upn);
			} catch (error) {
				undeleted.push({ scope, ...folder.subscription, error });
				continue;
			}
			delete folder.subscription;
			rememberSubscription(this.keyOf(scope), undefined);
		}
		return undeleted;
	}

	/** The newest subscription record of each scope this process knows, into `state`. */
	reconcile(state: GraphTriggerState): void {
		for (const scope of this.scopes) {
			const stored = state.scopes?.[scopeKey(scope)]?.subscription;
			const newest = newestSubscription(this.keyOf(scope), stored);
			if (newest === stored) continue;
			const folder = this.folder(state, scope);
			if (newest) folder.subscription = { ...newest };
			else delete folder.subscription;
		}
	}

	private folder(state: GraphTriggerState, scope: MailboxScope): FolderState {
		return ((state.scopes ??= {})[scopeKey(scope)] ??= {});
	}
}
