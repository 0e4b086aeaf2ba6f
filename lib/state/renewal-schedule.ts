import { region } from './registry';

/**
 * Renewal that does not wait for mail. A webhook trigger runs only when its provider calls it,
 * so a mailbox that stays quiet for a week would see its registration expire (a Graph
 * subscription, a Gmail watch: 7 days at most) — the flaw of n8n's own Teams trigger. The
 * activation owns a timer instead: every `intervalMs` it runs one renewal round, which renews
 * whatever is due, whatever the traffic.
 *
 * The timer lives where n8n activates workflows: the main process (in queue mode too: webhook
 * processors never activate, they only answer). Deactivation cancels it and waits for a renewal
 * in flight before the registrations are deleted, so a late renewal cannot resurrect one.
 */
interface Schedule {
	timer: ReturnType<typeof setInterval>;
	/** The renewal running now, if any; resolves when it ended (it never rejects). */
	running?: Promise<void>;
}

const schedules = region<Schedule>({
	name: 'webhook.renewalSchedules',
	holds:
		'the timer renewing one active webhook node’s registrations (Graph subscriptions, a Gmail watch)',
	key: 'owner + `:renewals`',
	maxEntries: 10_000,
	clearedWhen: 'the node is deactivated (clearOwner) or activated again (replaced)',
	dispose: (schedule) => clearInterval(schedule.timer),
});

const keyOf = (owner: string) => `${owner}:renewals`;

/**
 * Starts (or restarts) the owner's schedule. `renew` must do one whole renewal round; a round
 * still running when the next is due is not started twice. Failures go to `onError` and are
 * retried on the next round, so the margin before expiry must span several rounds.
 */
export function scheduleRenewals(
	owner: string,
	renew: () => Promise<void>,
	onError: (error: unknown) => void,
	intervalMs: number,
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
