import { monotonicNow } from '../util/monotonic';
import { sleep } from '../util/sleep';
import type { Clock } from './types';

/**
 * The real clock. Node's timers count from the event loop's cached time and may fire up to a
 * millisecond before the monotonic clock says the time has passed, so a wait that must not end
 * early (a Retry-After window) is topped up until it really has.
 */
export const systemClock: Clock = {
	now: monotonicNow,
	sleep,
};

export async function sleepUntil(clock: Clock, deadline: number, signal?: AbortSignal) {
	for (let left = deadline - clock.now(); left > 0; left = deadline - clock.now())
		await clock.sleep(Math.ceil(left), signal);
}
