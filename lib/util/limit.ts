/**
 * A counting semaphore: at most `limit` holders at once, the rest wait in order. A holder
 * releases when its work is really over: for an HTTP request that is when its body has been
 * read or destroyed, not when the headers arrived (Graph counts a request until then).
 */
export interface Semaphore {
	/** Waits for a slot; resolves with the function that gives it back (idempotent). */
	acquire(signal?: AbortSignal): Promise<() => void>;
	/** Changes how many may hold a slot; holders above a lowered limit finish normally. */
	setLimit(limit: number): void;
	readonly limit: number;
	readonly active: number;
	readonly pending: number;
}

export function createSemaphore(initialLimit: number): Semaphore {
	checkLimit(initialLimit);
	let limit = initialLimit;
	let active = 0;
	const queue: Array<{ grant: () => void }> = [];
	const pump = () => {
		while (active < limit && queue.length > 0) queue.shift()!.grant();
	};
	return {
		acquire(signal) {
			return new Promise((resolve, reject) => {
				if (signal?.aborted) return reject(signal.reason);
				const entry = {
					grant: () => {
						signal?.removeEventListener('abort', onAbort);
						active++;
						let held = true;
						resolve(() => {
							if (!held) return;
							held = false;
							active--;
							pump();
						});
					},
				};
				const onAbort = () => {
					const index = queue.indexOf(entry);
					if (index >= 0) queue.splice(index, 1);
					reject(signal?.reason);
				};
				signal?.addEventListener('abort', onAbort, { once: true });
				queue.push(entry);
				pump();
			});
		},
		setLimit(next) {
			checkLimit(next);
			limit = next;
			pump();
		},
		get limit() {
			return limit;
		},
		get active() {
			return active;
		},
		get pending() {
			return queue.length;
		},
	};
}

/** A semaphore as a function: runs `task` in a slot, which it releases when the task settles. */
export interface Limiter {
	<T>(task: () => Promise<T>): Promise<T>;
	readonly active: number;
	readonly pending: number;
}

export function createLimiter(concurrency: number): Limiter {
	const semaphore = createSemaphore(concurrency);
	const limiter = (async <T>(task: () => Promise<T>) => {
		const release = await semaphore.acquire();
		try {
			return await task();
		} finally {
			release();
		}
	}) as Limiter;
	Object.defineProperties(limiter, {
		active: { get: () => semaphore.active },
		pending: { get: () => semaphore.pending },
	});
	return limiter;
}

function checkLimit(limit: number): void {
	if (!Number.isInteger(limit) || limit < 1)
		throw new RangeError('concurrency must be a positive integer');
}

/**
 * `fn` over `items`, at most `concurrency` at once, results in input order. Workers pull the next
 * index as they finish, so a long list costs `concurrency` pending promises, not one queued task
 * per item (2,000 queued closures and promises per scan run were garbage the GC kept marking).
 * After the first rejection no further item starts; it rejects once the items in flight settle.
 */
export async function mapLimited<T, R>(
	items: readonly T[],
	concurrency: number,
	fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
	checkLimit(concurrency);
	const results = new Array<R>(items.length);
	let next = 0;
	let failed = false;
	const worker = async () => {
		while (!failed && next < items.length) {
			const index = next++;
			try {
				results[index] = await fn(items[index]!, index);
			} catch (error) {
				failed = true;
				throw error;
			}
		}
	};
	const workers = Array.from({ length: Math.min(concurrency, items.length) }, worker);
	await Promise.all(workers);
	return results;
}
