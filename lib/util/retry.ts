import { isMailIntelError } from '../errors';
import { sleep as defaultSleep } from './sleep';

/**
 * The one retry policy for every HTTP backend (Graph, Gmail, OpenCTI, DSX), modelled on the
 * Graph client's RetryHandler: retry only what the error says is retryable, wait what the
 * server asked for (Retry-After, capped at `maxRetryAfterMs` as RetryHandler caps it at 180 s)
 * or back off exponentially with jitter. lib/http applies it to every request; `withRetry`
 * serves other operations (a login, a whole upload).
 */
export interface RetryOptions {
	/** Retries after the first attempt. */
	retries: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** The longest Retry-After obeyed; a server asking for an hour gets this instead. */
	maxRetryAfterMs?: number;
	sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
	/** Called before each wait, e.g. to log "429 from Graph, waiting 2 s". */
	onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
	signal?: AbortSignal;
	/** Jitter source, replaceable in tests. */
	random?: () => number;
}

/** What Microsoft's Graph JS client RetryHandler caps Retry-After at. */
export const MAX_RETRY_AFTER_MS = 180_000;

export const DEFAULT_RETRY: RetryOptions = {
	retries: 4,
	baseDelayMs: 500,
	maxDelayMs: 30_000,
	maxRetryAfterMs: MAX_RETRY_AFTER_MS,
};

/** The wait before retry number `attempt + 1`: the server's Retry-After (capped), else backoff. */
export function retryDelayMs(
	retryAfterMs: number | undefined,
	attempt: number,
	options: RetryOptions,
): number {
	if (retryAfterMs !== undefined)
		return Math.min(retryAfterMs, options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS);
	const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
	return Math.round(ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2));
}

/**
 * `operation` until it succeeds, with the policy above: its first attempt, then `retryAfter`
 * when that fails. The first attempt runs without an async frame of its own (a `.catch` on its
 * promise), as nearly every operation succeeds at once.
 */
export function withRetry<T>(
	operation: (attempt: number) => Promise<T>,
	options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
	let first: Promise<T>;
	try {
		first = operation(0);
	} catch (error) {
		first = Promise.reject(error);
	}
	return first.catch((error: unknown) => retryAfter(error, operation, options));
}

/**
 * The retries after a first attempt that failed with `failure` (for a caller that makes the
 * first attempt itself, as the scan runner does per file): rethrows it at once when it is not
 * retryable; otherwise waits and calls `operation(1)`, and so on.
 */
export async function retryAfter<T>(
	failure: unknown,
	operation: (attempt: number) => Promise<T>,
	options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
	const wait = options.sleep ?? defaultSleep;
	let error = failure;
	for (let attempt = 0; ; attempt++) {
		if (!isMailIntelError(error) || !error.retryable) throw error;
		if (attempt >= options.retries || options.signal?.aborted) throw error;
		const delay = retryDelayMs(error.retryAfterMs, attempt, options);
		options.onRetry?.(error, attempt + 1, delay);
		await wait(delay, options.signal);
		try {
			return await operation(attempt + 1);
		} catch (next) {
			error = next;
		}
	}
}
