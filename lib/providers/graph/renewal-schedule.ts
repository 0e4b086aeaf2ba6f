import { errorMessage } from '../../errors';
import { scheduleRenewals as schedule } from '../../state/renewal-schedule';

export { cancelRenewals, renewalInFlight, renewalsScheduled } from '../../state/renewal-schedule';

/**
 * Graph subscriptions are renewed by the activation's own timer (lib/state/renewal-schedule.ts):
 * every hour it renews each subscription with less than 24 h left
 * (SubscriptionManager.renewDue), so a quiet mailbox stays subscribed.
 */
export const RENEWAL_CHECK_MS = 60 * 60_000;

/** Starts (or restarts) the owner's hourly Graph renewal round. */
export function scheduleRenewals(
	owner: string,
	renew: () => Promise<void>,
	onError: (error: unknown) => void,
	intervalMs = RENEWAL_CHECK_MS,
): void {
	schedule(owner, renew, onError, intervalMs);
}

/** A log line for a failed round: which node, what failed, that it is retried. */
export function renewalFailure(error: unknown): string {
	return `Microsoft 365 Mail Trigger: renewing Graph subscriptions failed (${errorMessage(error)}); retried within the hour, and Graph keeps a subscription for 24 h after it is due`;
}
