import https from 'node:https';

import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { GraphMailSession, type MailboxScope } from '../../../../lib/providers/graph';
import { fakeGraphConfig, startFakeGraph, type FakeGraph } from '../../../fakes/graph';
import { virtualClock } from '../../../helpers/virtual-clock';

const MAILBOXES = ['alice@contoso.com', 'bob@contoso.com'];

function seed(fake: FakeGraph, upn: string, count: number): string[] {
	return fake
		.addMessages(
			upn,
			'Inbox',
			Array.from({ length: count }, (_, i) => ({
				subject: `${upn} ${i}`,
				attachments: [{ name: `r${i}.pdf`, contentType: 'application/pdf', content: `pdf ${i}` }],
			})),
		)
		.map((m) => m.id);
}

/** One pass per folder at once, on the trigger's static data (`state`, kept between passes as n8n keeps it). */
async function deltaPasses(
	session: GraphMailSession<unknown>,
	scopes: MailboxScope[],
	state: object = {},
) {
	return Promise.all(scopes.map((scope) => session.deltaPass(scope, state)));
}

function expectExactlyOnce(results: Awaited<ReturnType<typeof deltaPasses>>, added: string[][]) {
	for (const [index, ids] of added.entries()) {
		const got = results[index]!.map((parsed) => parsed.email.id);
		expect(got.length).toBe(new Set(got).size);
		expect(new Set(got)).toEqual(new Set(ids));
		for (const parsed of results[index]!) {
			expect(parsed.attachments).toHaveLength(1);
			expect(parsed.email.attachments[0].skipped).toBeUndefined();
		}
	}
}

describe('throttling storm, on a virtual clock', () => {
	let fake: FakeGraph;
	beforeAll(async () => {
		fake = await startFakeGraph({ defaultPageSize: 10, seed: 7 });
	});
	afterAll(async () => fake.close());

	it('waits exactly what each Retry-After asked (3600 s capped to 180 s), per mailbox, and delivers every message once', async () => {
		const added = MAILBOXES.map((upn) => seed(fake, upn, 40));
		const { clock, waits } = virtualClock();
		const throttled: Array<{ status: number; waitMs: number; mailbox?: string }> = [];
		const session = new GraphMailSession({
			config: fakeGraphConfig(fake),
			scopes: MAILBOXES.map((upn) => ({ upn, folder: 'Inbox' })),
			policy: DEFAULT_POLICY,
			since: new Date(Date.now() - 3_600_000),
			maxItemsPerPass: 10_000,
			lockPrefix: 'storm-virtual',
			pageSize: 10,
			clock,
			onThrottle: (info) => throttled.push(info),
		});
		const before = fake.requests.length;
		// Windows pass on the virtual clock only, so the fake must not answer them with 429 itself.
		Object.assign(fake.throttle, {
			rate: 0.25,
			retryAfterSeconds: 2,
			status: 429,
			budget: 6,
			enforceWindows: false,
		});
		const staticData = {};
		const first = await deltaPasses(session, session.scopes, staticData);
		Object.assign(fake.throttle, {
			rate: 0.25,
			retryAfterSeconds: 3600,
			status: 503,
			budget: 6 + 8,
		});
		const second = MAILBOXES.map((upn) => seed(fake, upn, 10));
		const again = await deltaPasses(session, session.scopes, staticData);
		Object.assign(fake.throttle, { rate: 0, enforceWindows: true });
		session.close();

		expectExactlyOnce(first, added);
		expectExactlyOnce(again, second);
		const log = fake.requests.slice(before);
		const answers = log.filter((r) => r.status === 429 || r.status === 503);
		expect(answers.map((r) => r.status).sort()).toEqual([
			...Array(6).fill(429),
			...Array(8).fill(503),
		]);
		// Every throttled answer was retried, and told the caller what the client waits.
		for (const answer of answers)
			expect(log.some((r) => r.path === answer.path && r.arrivedAt > answer.t)).toBe(true);
		expect(throttled.map((t) => t.waitMs).sort((a, b) => a - b)).toEqual([
			...Array(6).fill(2000),
			...Array(8).fill(180_000),
		]);
		// The clock only ever waited for a Retry-After window: 2 s, or 3600 s capped to 180 s (a
		// window already passed is not waited twice, so at most one wait per throttled answer).
		expect(waits.length).toBeGreaterThan(0);
		expect(waits.length).toBeLessThanOrEqual(answers.length);
		for (const wait of waits) expect(wait === 2000 || wait === 180_000 || wait < 2000).toBe(true);
		expect(Math.max(...waits)).toBe(180_000);
		for (const upn of MAILBOXES) expect(fake.maxInFlight.get(upn)).toBeLessThanOrEqual(4);
		expect(fake.missingImmutableId).toBe(0);
	});
});

describe('throttling storms in real time: Retry-After honoured per mailbox', () => {
	for (const rate of [0.1, 0.35]) {
		it(`${rate * 100} % of requests answered 429 + Retry-After: 1 -> no request inside a window, every message once`, async () => {
			const fake = await startFakeGraph({ defaultPageSize: 5, seed: 11 });
			try {
				const added = MAILBOXES.map((upn) => seed(fake, upn, 12));
				const session = new GraphMailSession({
					config: fakeGraphConfig(fake),
					scopes: MAILBOXES.map((upn) => ({ upn, folder: 'Inbox' })),
					policy: DEFAULT_POLICY,
					since: new Date(Date.now() - 3_600_000),
					maxItemsPerPass: 10_000,
					lockPrefix: `storm-${rate}`,
					pageSize: 5,
				});
				Object.assign(fake.throttle, { rate, retryAfterSeconds: 1, status: 429 });
				const results = await deltaPasses(session, session.scopes);
				session.close();
				expectExactlyOnce(results, added);
				const throttled = fake.requests.filter((r) => r.status === 429);
				expect(throttled.length).toBeGreaterThan(0);
				expect(fake.violations).toEqual([]);
				for (const upn of MAILBOXES) expect(fake.maxInFlight.get(upn)).toBeLessThanOrEqual(4);
				process.stderr.write(
					`storm ${rate}: ${fake.requests.length} requests, ${throttled.length} answered 429, ${fake.violations.length} inside a window\n`,
				);
			} finally {
				await fake.close();
			}
		}, 120_000);
	}
});

describe('the fake’s Retry-After accounting (what the storm tests rely on)', () => {
	it('records a request sent on the connection that carried the 429, and not one another connection had in flight', async () => {
		const fake = await startFakeGraph({ seed: 3 });
		const urlOf = (upn: string) => `${fake.url}/v1.0/users/${encodeURIComponent(upn)}/messages`;
		const get = (agent: https.Agent, upn = MAILBOXES[0]) =>
			new Promise<number>((resolve, reject) => {
				https
					.get(urlOf(upn), { agent, ca: fake.caPem }, (res) => {
						res.resume();
						res.on('end', () => resolve(res.statusCode ?? 0));
					})
					.on('error', reject);
			});
		const reused = new https.Agent({ keepAlive: true, maxSockets: 1 });
		const other = new https.Agent({ keepAlive: true, maxSockets: 1 });
		try {
			Object.assign(fake.throttle, { rate: 1, retryAfterSeconds: 30, status: 429 });
			// Opens a connection on `other` first (another mailbox's window), so its next request
			// needs no handshake.
			expect(await get(other, MAILBOXES[1])).toBe(429);
			expect(await get(reused)).toBe(429);
			const windowOpened = fake.violations.length;
			// A client ignoring Retry-After: its freed connection fires the next request at once.
			const [ignoring, inFlightElsewhere] = await Promise.all([get(reused), get(other)]);
			expect([ignoring, inFlightElsewhere]).toEqual([429, 429]);
			expect(windowOpened).toBe(0);
			expect(fake.violations).toHaveLength(1);
			expect(fake.violations[0]).toMatchObject({ mailbox: MAILBOXES[0], method: 'GET' });
		} finally {
			reused.destroy();
			other.destroy();
			await fake.close();
		}
	});
});
