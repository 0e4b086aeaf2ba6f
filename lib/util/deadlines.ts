/**
 * Many deadlines on one timer. An HTTP attempt has up to three waits (connect, response, body
 * idle) and a scan run one per file; a Node timer each (set, cleared, set again at every phase)
 * was a measurable part of what a small upload cost beyond a bare `node:http` client
 * (docs/performance.md, round 15). Here a deadline is an entry in a Set: adding, moving it later
 * and deleting it touch no timer. The one timer is set for the earliest deadline only; when it
 * fires, every entry due is expired and the timer set for the next one.
 *
 * The owner decides the scope (an HttpTransport, a scan run), so there is no process-wide state.
 * The timer is unref'd: what a deadline guards (a socket, a file being read) keeps the process
 * alive by itself, and a deadline left for a body nobody reads must not hold it open.
 */
export interface Deadline {
	/** Monotonic ms (performance.now()) at which `expire` runs. */
	at: number;
	/**
	 * Runs once the deadline has passed. Returning a later time keeps the entry for then (an idle
	 * watch whose data kept arriving); returning nothing ends it.
	 */
	expire: () => number | void;
}

export class Deadlines {
	private readonly pending = new Set<Deadline>();
	private timer: NodeJS.Timeout | undefined;
	/** When the timer fires; Infinity when none is set. */
	private timerAt = Infinity;

	constructor(private readonly now: () => number = () => performance.now()) {}

	get size(): number {
		return this.pending.size;
	}

	/** Calls `expire` `ms` from now unless the deadline is deleted first. */
	add(ms: number, expire: Deadline['expire']): Deadline {
		const deadline: Deadline = { at: this.now() + ms, expire };
		this.pending.add(deadline);
		if (deadline.at < this.timerAt) this.schedule(deadline.at);
		return deadline;
	}

	/** The same deadline, now `ms` from now (a new phase of the same wait). */
	restart(deadline: Deadline, ms: number, expire: Deadline['expire'] = deadline.expire): void {
		deadline.at = this.now() + ms;
		deadline.expire = expire;
		if (!this.pending.has(deadline)) this.pending.add(deadline);
		if (deadline.at < this.timerAt) this.schedule(deadline.at);
	}

	delete(deadline: Deadline | undefined): void {
		if (!deadline || !this.pending.delete(deadline) || this.pending.size > 0) return;
		clearTimeout(this.timer);
		this.timer = undefined;
		this.timerAt = Infinity;
	}

	private schedule(at: number): void {
		clearTimeout(this.timer);
		this.timerAt = at;
		// Node's timers may fire a fraction of a millisecond early by the monotonic clock: the
		// entries not yet due are simply left for the next firing.
		this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - this.now()))).unref();
	}

	private readonly fire = () => {
		this.timer = undefined;
		this.timerAt = Infinity;
		const now = this.now();
		const due: Deadline[] = [];
		for (const deadline of this.pending) if (deadline.at <= now) due.push(deadline);
		for (const deadline of due) {
			this.pending.delete(deadline);
			const later = deadline.expire();
			if (typeof later === 'number') {
				deadline.at = later;
				this.pending.add(deadline);
			}
		}
		let next = Infinity;
		for (const deadline of this.pending) if (deadline.at < next) next = deadline.at;
		if (next < this.timerAt) this.schedule(next);
	};
}
