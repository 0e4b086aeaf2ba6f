import { monotonicNow } from './monotonic';

/**
 * Many deadlines on one timer. An HTTP attempt has up to three waits (connect, response, body
 * idle) and a scan run one per file; a Node timer each (set, cleared, set again at every phase)
 * was a measurable part of what a small upload cost beyond a bare `node:http` client
 * (docs/performance.md, round 15). Here a deadline is an entry in a list: adding, moving it later
 * and deleting it touch no timer. The one timer is set for the earliest deadline only; when it
 * fires, every entry due is expired and the timer set for the next one.
 *
 * Why a linked list and not a Set (as in round 15): a transport's deadlines live as long as the
 * transport, so their container ends up in V8's old generation, while the entries (whose
 * `expire` closes over a request) are young and die within a millisecond. A Set rehashes into a
 * new table every few additions; the old table, now garbage in the old generation, still points
 * at the entries it held and at its successor, and the scavenger counts every old-to-young
 * pointer as alive until the next full GC. So each rehash kept the requests in flight alive long
 * enough to be promoted, and those tables chained on (docs/performance.md, round 16: 45 MB
 * promoted over 10,000 uploads from this alone). A deleted entry here is unlinked and its links
 * cleared, so nothing dead keeps a live request reachable.
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

/** A deadline with its place in the list; the links are cleared when it leaves. */
interface Entry extends Deadline {
	previous: Entry | undefined;
	next: Entry | undefined;
	listed: boolean;
}

export class Deadlines {
	/** In the order added, so deadlines due in the same firing expire in that order. */
	private head: Entry | undefined;
	private tail: Entry | undefined;
	private count = 0;
	private timer: NodeJS.Timeout | undefined;
	/** When the timer fires; Infinity when none is set. */
	private timerAt = Infinity;

	constructor(private readonly now: () => number = monotonicNow) {}

	get size(): number {
		return this.count;
	}

	/** Calls `expire` `ms` from now unless the deadline is deleted first. */
	add(ms: number, expire: Deadline['expire']): Deadline {
		const entry: Entry = {
			at: this.now() + ms,
			expire,
			previous: undefined,
			next: undefined,
			listed: false,
		};
		this.link(entry);
		if (entry.at < this.timerAt) this.schedule(entry.at);
		return entry;
	}

	/** The same deadline, now `ms` from now (a new phase of the same wait). */
	restart(deadline: Deadline, ms: number, expire: Deadline['expire'] = deadline.expire): void {
		const entry = deadline as Entry;
		entry.at = this.now() + ms;
		entry.expire = expire;
		if (!entry.listed) this.link(entry);
		if (entry.at < this.timerAt) this.schedule(entry.at);
	}

	delete(deadline: Deadline | undefined): void {
		if (!deadline || !this.unlink(deadline as Entry) || this.count > 0) return;
		clearTimeout(this.timer);
		this.timer = undefined;
		this.timerAt = Infinity;
	}

	private link(entry: Entry): void {
		entry.previous = this.tail;
		entry.next = undefined;
		if (this.tail) this.tail.next = entry;
		else this.head = entry;
		this.tail = entry;
		entry.listed = true;
		this.count++;
	}

	/** False when the entry was not in the list (deleted already, or expired). */
	private unlink(entry: Entry): boolean {
		if (!entry.listed) return false;
		if (entry.previous) entry.previous.next = entry.next;
		else this.head = entry.next;
		if (entry.next) entry.next.previous = entry.previous;
		else this.tail = entry.previous;
		entry.previous = undefined;
		entry.next = undefined;
		entry.listed = false;
		this.count--;
		return true;
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
		const due: Entry[] = [];
		for (let entry = this.head; entry; entry = entry.next) if (entry.at <= now) due.push(entry);
		for (const entry of due) {
			// An earlier expiry in this firing may have deleted it (a run's stop, a retry).
			if (!this.unlink(entry)) continue;
			const later = entry.expire();
			if (typeof later === 'number') {
				entry.at = later;
				if (!entry.listed) this.link(entry); // an expire that restarted itself is listed already
			}
		}
		let next = Infinity;
		for (let entry = this.head; entry; entry = entry.next) if (entry.at < next) next = entry.at;
		if (next < this.timerAt) this.schedule(next);
	};
}
