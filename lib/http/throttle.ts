import { createSemaphore, type Semaphore } from '../util/limit';
import { sleepUntil, systemClock } from './clock';
import type { Clock } from './types';

/** How long after a pause the unit still counts as throttled (Throttle.admit). */
const CALM_AFTER_MS = 60_000;

/**
 * The shared throttle of one rate-limited unit (a Graph mailbox): every request to it, from any
 * workflow or webhook call, passes here. It holds
 * - the concurrency limit (a slot is held until the response body is consumed or destroyed);
 * - a pause: after a 429/503 with Retry-After, NO request of the unit starts until it has passed
 *   (the server throttles the unit, not one request; a request that ignored it would earn another
 *   429 and prolong the storm);
 * - a gradual resume: after a pause one request at a time, doubling with each success up to the
 *   limit, so the queue does not fire into the next throttle all at once.
 */
export class Throttle {
	private readonly slots: Semaphore;
	private pausedUntil = 0;
	private waking?: Promise<void>;

	constructor(
		readonly maxConcurrency: number,
		private readonly clock: Clock = systemClock,
	) {
		this.slots = createSemaphore(maxConcurrency);
	}

	/** Waits for the pause to pass and a slot; resolves with the slot's release. */
	async admit(signal?: AbortSignal): Promise<() => void> {
		for (;;) {
			await this.pauseOver(signal);
			const release = await this.slots.acquire(signal);
			// While the unit is being throttled, responses that arrived together with the one that
			// freed this slot are read first: a throttle answer among them pauses the unit before
			// this request leaves. In calm times that turn of the event loop is skipped: it costs
			// every request the rest of the loop's I/O (0.7 ms on average in the p5 benchmark, a
			// few % of a 20 ms round trip), and a request that leaves a moment after an unread
			// 429 is no different from one that left a moment before it.
			if (this.stormy()) await new Promise((resolve) => setImmediate(resolve));
			if (this.clock.now() >= this.pausedUntil) return release;
			release(); // paused while waiting for the slot: wait again, in turn
		}
	}

	/** The server asked the unit to wait `ms`: nothing starts before then; resume one at a time. */
	pause(ms: number): void {
		this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
		this.slots.setLimit(1);
	}

	/** A request succeeded: let one more run at once, up to the limit. */
	succeeded(): void {
		if (this.clock.now() >= this.pausedUntil && this.slots.limit < this.maxConcurrency)
			this.slots.setLimit(Math.min(this.maxConcurrency, this.slots.limit * 2));
	}

	/** A pause is running or ended less than CALM_AFTER_MS ago. */
	private stormy(): boolean {
		return this.pausedUntil > 0 && this.clock.now() < this.pausedUntil + CALM_AFTER_MS;
	}

	get paused(): boolean {
		return this.clock.now() < this.pausedUntil;
	}

	get active(): number {
		return this.slots.active;
	}

	private async pauseOver(signal?: AbortSignal): Promise<void> {
		while (this.clock.now() < this.pausedUntil) {
			// One timer for every waiter of the unit, not one per queued request.
			this.waking ??= sleepUntil(this.clock, this.pausedUntil).finally(
				() => (this.waking = undefined),
			);
			await (signal ? raceAbort(this.waking, signal) : this.waking);
		}
	}
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		if (signal.aborted) return reject(signal.reason);
		const onAbort = () => reject(signal.reason);
		signal.addEventListener('abort', onAbort, { once: true });
		promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
	});
}
