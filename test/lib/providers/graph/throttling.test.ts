import { GraphMailSession } from '../../../../lib/providers/graph';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { fakeGraphConfig, startFakeGraph, type FakeGraph } from '../../../fakes/graph';

const MAILBOXES = ['alice@contoso.com', 'bob@contoso.com'];

describe('throttling storm', () => {
	let fake: FakeGraph;
	beforeAll(async () => {
		fake = await startFakeGraph({ latencyMs: 15, defaultPageSize: 10, seed: 7 });
	});
	afterAll(async () => fake.close());

	it('completes, never has more than 4 requests in flight per mailbox, and waits what Retry-After says', async () => {
		const added = new Map<string, string[]>();
		for (const upn of MAILBOXES) {
			added.set(
				upn,
				fake
					.addMessages(
						upn,
						'Inbox',
						Array.from({ length: 60 }, (_, i) => ({
							subject: `${upn} ${i}`,
							attachments: [
								{ name: `r${i}.pdf`, contentType: 'application/pdf', content: `pdf ${i}` },
							],
						})),
					)
					.map((m) => m.id),
			);
		}
		const session = new GraphMailSession({
			config: fakeGraphConfig(fake),
			scopes: MAILBOXES.map((upn) => ({ upn, folder: 'Inbox' })),
			policy: DEFAULT_POLICY,
			since: new Date(Date.now() - 3_600_000),
			maxItemsPerPass: 10_000,
			lockPrefix: 'storm',
			pageSize: 10,
		});
		const throttledBefore = fake.requests.length;
		// The storm: a quarter of all Graph requests answered 429 (Retry-After 2 s) or 503 (1 s).
		Object.assign(fake.throttle, { rate: 0.25, retryAfterSeconds: 2, status: 429, budget: 25 });
		const state = {};
		const started = performance.now();
		const passes = MAILBOXES.map((upn) => session.deltaPass({ upn, folder: 'Inbox' }, state));
		setTimeout(() => Object.assign(fake.throttle, { status: 503, retryAfterSeconds: 1 }), 1500);
		const results = await Promise.all(passes);
		const elapsed = performance.now() - started;
		Object.assign(fake.throttle, { rate: 0 });
		session.close();

		for (const [index, upn] of MAILBOXES.entries()) {
			const ids = results[index]!.map((parsed) => parsed.email.id);
			expect(new Set(ids).size).toBe(ids.length);
			expect(new Set(ids)).toEqual(new Set(added.get(upn)));
			expect(results[index]!.every((parsed) => parsed.attachments.length === 1)).toBe(true);
			expect(fake.maxInFlight.get(upn)).toBeLessThanOrEqual(4);
		}
		const log = fake.requests.slice(throttledBefore);
		const throttled = log.filter((r) => r.status === 429 || r.status === 503);
		expect(throttled.length).toBeGreaterThanOrEqual(10);
		expect(throttled.some((r) => r.status === 503)).toBe(true);
		// Each throttled request is retried no earlier than Retry-After after the answer.
		const waits = throttled.map((r) => {
			const retry = log.find((next) => next.path === r.path && next.arrivedAt > r.t);
			expect(retry).toBeDefined();
			return { asked: r.retryAfterMs!, waited: retry!.arrivedAt - r.t };
		});
		for (const { asked, waited } of waits) expect(waited).toBeGreaterThanOrEqual(asked - 2);
		// ...and not much later either (the limiter slot is free during the wait).
		const overshoot = waits.map(({ asked, waited }) => waited - asked);
		expect(Math.max(...overshoot)).toBeLessThan(1000);
		expect(fake.missingImmutableId).toBe(0);
		// Human-readable record of what was measured.
		process.stderr.write(
			`storm: ${throttled.length} throttled answers, waits asked/measured (ms): ${waits
				.slice(0, 8)
				.map((w) => `${w.asked}/${Math.round(w.waited)}`)
				.join(
					', ',
				)} …; max in flight ${JSON.stringify(Object.fromEntries(fake.maxInFlight))}; total ${Math.round(elapsed)} ms\n`,
		);
	});
});
