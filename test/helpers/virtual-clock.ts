import type { Clock } from '../../lib/http';

/**
 * Virtual time for lib/http (retries, mailbox throttles): a sleep passes at once and is
 * recorded, so a test asserts the waits the code chose, never wall time. Time passes when a
 * wait ends; concurrent waits overlap, as real ones do.
 */
export function virtualClock() {
	let now = 0;
	const waits: number[] = [];
	const clock: Clock = {
		now: () => now,
		sleep: async (ms) => {
			waits.push(ms);
			const until = now + ms;
			await new Promise((resolve) => setImmediate(resolve));
			now = Math.max(now, until);
		},
	};
	return { clock, waits, at: () => now };
}
