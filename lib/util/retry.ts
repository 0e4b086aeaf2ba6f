import { isMailIntelError } from '../errors';
import { sleep as defaultSleep } from './sleep';

/**
 * The one retry policy for every HTTP backend (Graph, Gmail, OpenCTI, DSX), modelled on the
 * Graph client's RetryHandler: retry only what the error says is retryable, wait what the
 * server asked for (Retry-After) or back off exponentially with full jitter.
 */
export interface RetryOptions {
	/** Retries after the first attempt. */
	retries: number;
	baseDelayMs: number;
	maxDelayMs: number;
	sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
	/** Called before each wait, e.g. to log "429 from Graph, waiting 2 s". */
	onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
	signal?: AbortSignal;
	/** Jitter source, replaceable in tests. */
	random?: () => number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 4, baseDelayMs: 500, maxDelayMs: 30_000 };

export function retryDelayMs(error: unknown, attempt: number, options: RetryOptions): number {
	if (isMailIntelError(error) && error.retryAfterMs !== undefined) return error.retryAfterMs;
	const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
	return Math.round(ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2));
}

export async function withRetry<T>(
	operation: (attempt: number) => Promise<T>,
	options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
	const wait = options.sleep ?? defaultSleep;
	for (let attempt = 0; ; attempt++) {
		try {
			return await operation(attempt);
		} catch (error) {
			const retryable = isMailIntelError(error) && error.retryable;
			if (!retryable || attempt >= options.retries || options.signal?.aborted) throw error;
			const delay = retryDelayMs(error, attempt, options);
			options.onRetry?.(error, attempt + 1, delay);
			await wait(delay, options.signal);
		}
	}
}
