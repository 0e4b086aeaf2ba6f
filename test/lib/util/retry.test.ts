import { MailIntelError } from '../../../lib/errors';
import { httpError, parseRetryAfter } from '../../../lib/util/http-error';
import { createLimiter } from '../../../lib/util/limit';
import { withRetry } from '../../../lib/util/retry';

const retryable = (retryAfterMs?: number) =>
	new MailIntelError('busy', { source: 'graph', status: 429, retryable: true, retryAfterMs });

describe('withRetry', () => {
	it('waits what Retry-After asked for, then succeeds', async () => {
		const waits: number[] = [];
		let calls = 0;
		const result = await withRetry(
			async () => {
				calls++;
				if (calls < 3) throw retryable(1500);
				return 'ok';
			},
			{ retries: 4, baseDelayMs: 10, maxDelayMs: 100, sleep: async (ms) => void waits.push(ms) },
		);
		expect(result).toBe('ok');
		expect(waits).toEqual([1500, 1500]);
	});

	it('caps a Retry-After at 180 s (what the Graph client RetryHandler obeys at most)', async () => {
		const waits: number[] = [];
		let calls = 0;
		await withRetry(
			async () => {
				if (++calls < 2) throw retryable(3_600_000);
				return 'ok';
			},
			{ retries: 2, baseDelayMs: 10, maxDelayMs: 100, sleep: async (ms) => void waits.push(ms) },
		);
		expect(waits).toEqual([180_000]);
	});

	it('backs off exponentially within the ceiling when the server gives no hint', async () => {
		const waits: number[] = [];
		await expect(
			withRetry(
				async () => {
					throw retryable();
				},
				{
					retries: 3,
					baseDelayMs: 100,
					maxDelayMs: 250,
					sleep: async (ms) => void waits.push(ms),
					random: () => 1,
				},
			),
		).rejects.toThrow('busy');
		expect(waits).toEqual([100, 200, 250]);
	});

	it('does not retry what is not retryable', async () => {
		let calls = 0;
		await expect(
			withRetry(async () => {
				calls++;
				throw new MailIntelError('bad token', { source: 'opencti', status: 401 });
			}),
		).rejects.toThrow('bad token');
		expect(calls).toBe(1);
	});
});

describe('httpError / parseRetryAfter', () => {
	it('reads delta-seconds and HTTP dates', () => {
		expect(parseRetryAfter('2')).toBe(2000);
		expect(
			parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
		).toBe(5000);
		expect(parseRetryAfter('soon')).toBeUndefined();
	});

	it('marks 429 and 5xx retryable, 4xx not', () => {
		expect(
			httpError({ source: 'graph', status: 429, message: 'x', retryAfter: '3' }),
		).toMatchObject({ retryable: true, retryAfterMs: 3000 });
		expect(httpError({ source: 'graph', status: 503, message: 'x' }).retryable).toBe(true);
		expect(httpError({ source: 'graph', status: 404, message: 'x' }).retryable).toBe(false);
	});
});

describe('createLimiter', () => {
	it('never runs more than its concurrency and runs everything', async () => {
		const limit = createLimiter(4);
		let inFlight = 0;
		let maxInFlight = 0;
		const results = await Promise.all(
			Array.from({ length: 50 }, (_, index) =>
				limit(async () => {
					inFlight++;
					maxInFlight = Math.max(maxInFlight, inFlight);
					await new Promise((resolve) => setTimeout(resolve, 1 + (index % 3)));
					inFlight--;
					return index;
				}),
			),
		);
		expect(maxInFlight).toBe(4);
		expect(results).toEqual(Array.from({ length: 50 }, (_, index) => index));
	});

	it('keeps going after a task fails', async () => {
		const limit = createLimiter(1);
		await expect(limit(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
		await expect(limit(async () => 'next')).resolves.toBe('next');
	});
});
