/**
 * A counting semaphore: at most `concurrency` tasks run at once, the rest queue in order.
 * Graph allows 4 concurrent requests per mailbox; one limiter per mailbox enforces that.
 */
export interface Limiter {
	<T>(task: () => Promise<T>): Promise<T>;
	readonly active: number;
	readonly pending: number;
}

export function createLimiter(concurrency: number): Limiter {
	if (!Number.isInteger(concurrency) || concurrency < 1)
		throw new RangeError('concurrency must be a positive integer');
	let active = 0;
	const queue: Array<() => void> = [];
	const next = () => {
		if (active >= concurrency) return;
		const start = queue.shift();
		if (start) start();
	};
	const limiter = (<T>(task: () => Promise<T>) =>
		new Promise<T>((resolve, reject) => {
			queue.push(() => {
				active++;
				task()
					.then(resolve, reject)
					.finally(() => {
						active--;
						next();
					});
			});
			next();
		})) as Limiter;
	Object.defineProperties(limiter, {
		active: { get: () => active },
		pending: { get: () => queue.length },
	});
	return limiter;
}
