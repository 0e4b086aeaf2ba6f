import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import {
	createHttpsTransport,
	createMsalTokenSource,
	createSubscription,
	GraphClient,
	GraphMailSession,
	readText,
} from '../../../../lib/providers/graph';
import { USER_AGENT } from '../../../../lib/http';
import {
	fakeGraphConfig,
	startFakeGraph,
	startSubscriber,
	type FakeGraph,
} from '../../../fakes/graph';
import { mailIntelFailure as failure } from '../../../helpers/failure';

describe('Graph over lib/http', () => {
	let fake: FakeGraph;
	beforeAll(async () => {
		fake = await startFakeGraph({ defaultPageSize: 10 });
	});
	afterAll(async () => fake.close());

	const session = (
		upn: string,
		extra: Partial<ConstructorParameters<typeof GraphMailSession>[0]> = {},
	) =>
		new GraphMailSession({
			config: fakeGraphConfig(fake),
			scopes: [{ upn, folder: 'Inbox' }],
			policy: DEFAULT_POLICY,
			since: new Date(Date.now() - 3_600_000),
			maxItemsPerPass: 1000,
			lockPrefix: `transport-${upn}`,
			...extra,
		});

	function client(options: { responseMs?: number; retries?: number } = {}) {
		const config = fakeGraphConfig(fake);
		const transport = createHttpsTransport({
			ca: config.ca,
			...(options.responseMs ? { timeouts: { responseMs: options.responseMs } } : {}),
		});
		return new GraphClient({
			graphBaseUrl: config.graphBaseUrl,
			transport,
			tokens: createMsalTokenSource(config, transport),
			retry: { retries: options.retries ?? 8, baseDelayMs: 1, maxDelayMs: 1 },
		});
	}

	it("a request Graph accepts and never answers fails after the timeout, and the folder's next pass works", async () => {
		const upn = 'stall@contoso.com';
		const scope = { upn, folder: 'Inbox' };
		const [message] = fake.addMessages(upn, 'Inbox', [{ subject: 'after the stall' }]);
		const graph = session(upn, { timeouts: { responseMs: 200 }, retry: { retries: 0 } });
		const state = {};
		fake.fault({ method: 'GET', path: /\/messages\/delta$/, status: 0, stall: true });
		const error = await failure(graph.deltaPass(scope, state));
		expect(error).toMatchObject({
			source: 'graph',
			code: 'TIMEOUT',
			retryable: true,
			field: 'graphBaseUrl',
		});
		expect(error.message).toContain(`no response within 200 ms from 127.0.0.1:${fake.port}`);
		expect(error.message).toMatch(/client-request-id [0-9a-f-]{36}/);
		// The stalled request left no slot, socket or folder lock behind: the next pass runs.
		const parsed = await graph.deltaPass(scope, state);
		expect(parsed?.map((p) => p.email.id)).toEqual([message.id]);
		expect(graph.client.throttleFor(upn).active).toBe(0);
		graph.close();
	});

	it("a token endpoint that never answers fails with the transport's error, naming the authority host", async () => {
		const config = fakeGraphConfig(fake);
		const tokens = createMsalTokenSource(
			config,
			createHttpsTransport({ ca: config.ca, timeouts: { responseMs: 200 }, retry: { retries: 0 } }),
		);
		fake.fault({ path: /\/oauth2\/v2\.0\/token$/, status: 0, stall: true });
		const error = await failure(tokens.getAccessToken());
		expect(error).toMatchObject({
			source: 'graph',
			code: 'TIMEOUT',
			field: 'authorityHost',
			retryable: true,
		});
		expect(error.message).toContain(`no response within 200 ms from 127.0.0.1:${fake.port}`);
		await expect(tokens.getAccessToken()).resolves.toMatch(/^fake\./);
	});

	it('POST /subscriptions answered 500 or 503 is not retried (a retry could create a second subscription)', async () => {
		const subscriber = await startSubscriber(({ query, res }) => {
			res.writeHead(200, { 'content-type': 'text/plain' }).end(query.validationToken ?? '');
		});
		const api = client();
		for (const status of [500, 503]) {
			fake.fault({ method: 'POST', path: /^\/v1\.0\/subscriptions$/, status });
			const before = fake.requests.filter(
				(r) => r.method === 'POST' && r.path === '/v1.0/subscriptions',
			).length;
			const error = await failure(
				createSubscription(api, {
					upn: 'subs@contoso.com',
					folder: 'Inbox',
					notificationUrl: subscriber.url,
					lifecycleNotificationUrl: subscriber.url,
					clientState: 'x'.repeat(20),
				}),
			);
			expect(error.status).toBe(status);
			const after = fake.requests.filter(
				(r) => r.method === 'POST' && r.path === '/v1.0/subscriptions',
			).length;
			expect(after - before).toBe(1);
		}
		expect(fake.subscriptions.size).toBe(0);
		// A GET answered 503 once is retried and succeeds (the same fault, an idempotent request).
		fake.fault({ method: 'GET', path: /\/mailFolders$/, status: 503 });
		await expect(
			api.json({
				method: 'GET',
				url: '/users/subs@contoso.com/mailFolders',
				mailbox: 'subs@contoso.com',
			}),
		).resolves.toMatchObject({ status: 200 });
		await subscriber.close();
	});

	it('several 8 MB attachments at once: never more than 4 requests of the mailbox in flight until their bodies end', async () => {
		const upn = 'big@contoso.com';
		const size = 8 * 1024 * 1024;
		const added = fake.addMessages(
			upn,
			'Inbox',
			Array.from({ length: 6 }, (_, i) => ({
				subject: `big ${i}`,
				attachments: [
					{ name: `big${i}.pdf`, contentType: 'application/pdf', content: Buffer.alloc(size, i) },
				],
			})),
		);
		const graph = session(upn, {
			policy: { ...DEFAULT_POLICY, maxAttachmentBytes: 16 * 1024 * 1024 },
		});
		const parsed = (await graph.deltaPass({ upn, folder: 'Inbox' }, {}))!;
		graph.close();
		expect(parsed.map((p) => p.email.id).sort()).toEqual(added.map((m) => m.id).sort());
		for (const message of parsed) {
			expect(message.email.attachments[0]).toMatchObject({ size });
			expect(message.email.attachments[0].skipped).toBeUndefined();
		}
		expect(fake.maxInFlight.get(upn)).toBeLessThanOrEqual(4);
		expect(fake.requests.filter((r) => r.mailbox === upn && r.status === 429)).toEqual([]);
	});

	it('a revoked (or early-expired) token: the next request gets a new token and succeeds', async () => {
		const upn = 'revoked@contoso.com';
		const api = client();
		const url = `/users/${upn}/mailFolders`;
		await api.json({ method: 'GET', url, mailbox: upn });
		const issued = fake.tokensIssued;
		fake.revokeTokens();
		await expect(api.json({ method: 'GET', url, mailbox: upn })).resolves.toMatchObject({
			status: 200,
		});
		expect(fake.tokensIssued).toBe(issued + 1);
		const mine = fake.requests.filter((r) => r.path.startsWith(`/v1.0/users/${upn}`));
		expect(mine.map((r) => r.status)).toEqual([200, 401, 200]);
		// A token Graph refuses every time: one renewal, then the 401 fails the request (no loop).
		let invalidated = 0;
		const config = fakeGraphConfig(fake);
		const refused = new GraphClient({
			graphBaseUrl: config.graphBaseUrl,
			transport: createHttpsTransport({ ca: config.ca }),
			tokens: { getAccessToken: async () => 'not-a-token', invalidate: () => void invalidated++ },
		});
		const before = fake.requests.length;
		expect(await failure(refused.json({ method: 'GET', url, mailbox: upn }))).toMatchObject({
			status: 401,
		});
		expect(invalidated).toBe(1);
		expect(fake.requests.slice(before).map((r) => r.status)).toEqual([401, 401]);
	});

	it('every Graph call carries its own client-request-id and the pack User-Agent; errors quote both ids', async () => {
		const upn = 'ids@contoso.com';
		const api = client();
		const before = fake.requests.length;
		await api.json({ method: 'GET', url: `/users/${upn}/mailFolders`, mailbox: upn });
		const error = await failure(
			api.json({ method: 'GET', url: `/users/${upn}/messages/nope`, mailbox: upn }),
		);
		const sent = fake.requests.slice(before);
		expect(sent.every((r) => r.userAgent === USER_AGENT)).toBe(true);
		expect(new Set(sent.map((r) => r.clientRequestId)).size).toBe(sent.length);
		expect(error.message).toContain(`client-request-id ${sent[sent.length - 1].clientRequestId}`);
		expect(error.message).toMatch(/request-id [0-9a-f-]{36}/);
	});

	it('a streamed body keeps its mailbox slot until it is read to the end', async () => {
		const upn = 'slot@contoso.com';
		const [message] = fake.addMessages(upn, 'Inbox', [{ subject: 's' }]);
		const api = client();
		const { data } = await api.stream({
			method: 'GET',
			url: `/users/${upn}/messages/${message.id}/$value`,
			mailbox: upn,
		});
		expect(api.throttleFor(upn).active).toBe(1);
		expect(await readText(data)).toContain('Subject: s');
		await new Promise((resolve) => setImmediate(resolve));
		expect(api.throttleFor(upn).active).toBe(0);
	});
});
