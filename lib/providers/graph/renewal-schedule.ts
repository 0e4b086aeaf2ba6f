import { errorMessage } from '../../errors';
import { region } from '../../state/registry';

/**
 * Renewal that does not wait for mail. A webhook node runs only when Graph calls it, so a mailbox
 * that stays quiet for a week would see its subscription expire (Graph allows at most 7 days) —
 * the flaw of n8n's own Teams trigger. The activation owns a timer instead: every hour it renews
 * each subscription with less than 24 h left (SubscriptionManager.renewDue), whatever the traffic.
 *
 * The timer lives where n8n activates workflows: the main process (in queue mode too: webhook
 * processors never activate, they only answer). Deactivation cancels it and waits for a renewal
 * in flight before the subscriptions are deleted, so a late PATCH cannot resurrect one.
 */
export const RENEWAL_CHECK_MS = 60 * 60_000;

interface Schedule {
	timer: ReturnType<typeof setInterval>;
	/** The renewal running now, if any; resolves when it ended (it never rejects). */
	running?: Promise<void>;
}

const schedules = region<Schedule>({
	name: 'graph.renewalSchedules',
	holds: 'the hourly timer renewing one active webhook node’s Graph subscriptions',
	key: 'owner + `:renewals`',
	maxEntries: 10_000,
	clearedWhen: 'the node is deactivated (clearOwner) or activated again (replaced)',
	dispose: (schedule) => clearInterval(schedule.timer),
});

const keyOf = (owner: string) => `${owner}:renewals`;

/**
 * Starts (or restarts) the owner's schedule. `renew` must do one whole renewal round; a round
 * still running when the next is due is not started twice. Failures go to `onError` and are
 * retried on the next round: with a 24 h margin there are 24 more tries before anything expires.
 */
export function scheduleRenewals(
	owner: string,
	renew: () => Promise<void>,
	onError: (error: unknown) => void,
	intervalMs = RENEWAL_CHECK_MS,
): void {
	const schedule: Schedule = {
		timer: setInterval(() => {
			if (schedule.running) return;
			schedule.running = renew()
				.catch((error: unknown) => onError(error))
				.finally(() => {
					schedule.running = undefined;
				});
		}, intervalMs),
	};
	// A schedule must never keep n8n alive on shutdown.
	schedule.timer.unref?.();
	schedules.set(keyOf(owner), schedule);
}

/** Stops the owner's schedule and waits for a renewal in flight to end. */
export async function cancelRenewals(owner: string): Promise<void> {
	const schedule = schedules.get(keyOf(owner));
	schedules.delete(keyOf(owner));
	await schedule?.running;
}

/** True while the owner has a schedule (for the README's state table and tests). */
export function renewalsScheduled(owner: string): boolean {
	return schedules.has(keyOf(owner));
}

/** The renewal round running now, or undefined (tests and shutdown wait on it). */
export function renewalInFlight(owner: string): Promise<void> | undefined {
	return schedules.get(keyOf(owner))?.running;
}

/** A log line for a failed round: which node, what failed, that it is retried. */
export function renewalFailure(error: unknown): string {
	return `Microsoft 365 Mail Trigger: renewing Graph subscriptions failed (${errorMessage(error)}); retried within the hour, and Graph keeps a subscription for 24 h after it is due`;
}
