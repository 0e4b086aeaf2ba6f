import { EmailIntelGmailPushTrigger } from '../../../nodes/EmailIntelGmailPushTrigger/EmailIntelGmailPushTrigger.node';
import type { GmailPushState } from '../../../lib/providers/gmail';
import { ownerKey } from '../../../lib/state/registry';
import { renewalsScheduled } from '../../../lib/state/renewal-schedule';
import { startFakeGmail, type FakeGmail } from '../../fakes/gmail';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';
import { mail } from '../../lib/providers/gmail/mail';

/**
 * The Gmail push trigger inside n8n-core's real HookContext and WebhookContext (static data
 * loaded fresh for every request and saved when it returns, as n8n does, so overlapping pushes
 * read stale copies) against the Gmail fake, which signs pushes like Pub/Sub (OIDC, RS256,
 * its own JWKS) and POSTs them to the node's webhook URL.
 */
const TOPIC = 'projects/fake-project/topics/gmail';
const STATE_KEY = 'node:Email Intel Gmail Push Trigger';
const WORKFLOW_ID = 'wf-gmail-push';
/** The owner key (lib/state/registry.ts) of the harness's node: its process memory. */
const OWNER = ownerKey(WORKFLOW_ID, 'b6f8c1a0-0000-4000-8000-000000000001', false);
const PUSH_ACCOUNT = 'gmail-push@fake-project.iam.gserviceaccount.com';

let fake: FakeGmail;
let harness: Harness;

beforeEach(async () => {
	fake = await startFakeGmail();
	harness = await startHarness(new EmailIntelGmailPushTrigger(), {
		workflowId: WORKFLOW_ID,
		parameters: {
			authentication: 'googleApi',
			labels: 'INBOX',
			topicName: TOPIC,
			options: { jwksUrl: fake.jwksUrl, serviceAccountEmail: PUSH_ACCOUNT },
		},
		credentials: {
			emailIntelGoogleApi: {
				authMethod: 'tokenJson',
				googleTokenJson: fake.tokenJson(),
				apiBaseUrl: fake.apiBaseUrl,
				tokenUrl: '',
			},
		},
	});
});
afterEach(async () => {
	await harness.deactivate().catch(() => undefined);
	await harness.close();
	await fake.close();
});

const stateOf = () => (harness.staticData()[STATE_KEY] ?? {}) as GmailPushState;
const subjects = () =>
	harness.executions.flatMap((execution) =>
		execution.items.map((item) => (item.json as { subject: string }).subject),
	);

test('activation watches the topic, a restart a day later renews it, deactivation stops it', async () => {
	expect(await harness.activate()).toEqual({ existed: false });
	expect(fake.watches).toEqual([
		{ topicName: TOPIC, labelIds: ['INBOX'], labelFilterBehavior: 'include' },
	]);
	const watch = stateOf().watch!;
	expect(watch).toMatchObject({ topicName: TOPIC, labels: ['INBOX'], emailAddress: fake.address });
	// Gmail's expiry: 7 days; the record says when it was set, for the daily renewal.
	expect(watch.expiration - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
	expect(renewalsScheduled(OWNER)).toBe(true);

	// n8n restarted within the day: the watch is there and not due.
	expect(await harness.activate()).toEqual({ existed: true });
	expect(fake.watches).toHaveLength(1);

	// Restarted a day later: the record is due, the watch is renewed (still the same watch).
	harness.setStaticData({
		[STATE_KEY]: { ...stateOf(), watch: { ...watch, setAt: Date.now() - 25 * 3600_000 } },
	} as never);
	expect(await harness.activate()).toEqual({ existed: true });
	expect(fake.watches).toHaveLength(2);
	expect(stateOf().watch!.setAt).toBeGreaterThan(Date.now() - 60_000);

	// Another topic configured: not the same watch; create watches the new one.
	harness.setStaticData({
		[STATE_KEY]: {
			...stateOf(),
			watch: { ...stateOf().watch!, topicName: 'projects/p/topics/old' },
		},
	} as never);
	expect(await harness.activate()).toEqual({ existed: false });
	expect(fake.watches).toHaveLength(3);

	expect(await harness.deactivate()).toBe(true);
	expect(fake.stops).toBe(1);
	expect(renewalsScheduled(OWNER)).toBe(false);
	expect(stateOf().watch).toBeUndefined();
});

test('a signed push runs the history pass: each message once, a repeated push reads nothing', async () => {
	fake.addMessage({ raw: mail('old 1', { attachment: true }) });
	await harness.activate();
	expect(await fake.deliverPush(harness.webhookUrl)).toBe(204);
	await harness.settle();
	// First push: the start window (the polling trigger's first run).
	expect(subjects()).toEqual(['old 1']);
	expect(harness.executions[0].items[0].binary?.attachment_0?.fileName).toBe('report.pdf');

	fake.addMessage({ raw: mail('new 1') });
	fake.addMessage({ raw: mail('new 2'), labelIds: ['SENT'] });
	fake.addMessage({ raw: mail('new 3') });
	expect(await fake.deliverPush(harness.webhookUrl)).toBe(204);
	await harness.settle();
	expect(subjects()).toEqual(['old 1', 'new 1', 'new 3']);
	expect(harness.executions[1].items[0].json).toMatchObject({
		provider: 'gmail',
		mailbox: 'INBOX',
		locator: expect.stringMatching(/^gmail:\/\/me\/messages\//),
	});

	// Pub/Sub delivers at least once: the same history id again costs no API call.
	const before = fake.requests.length;
	expect(await fake.deliverPush(harness.webhookUrl)).toBe(204);
	await harness.settle();
	expect(fake.requests.length).toBe(before);
	expect(subjects()).toEqual(['old 1', 'new 1', 'new 3']);
	expect(harness.errors).toEqual([]);
});

test.each([
	[
		'a bad signature (a key not in the JWKS)',
		() => fake.pushToken({ aud: harness.webhookUrl }, { foreignKey: true }),
	],
	[
		'a wrong audience',
		() => fake.pushToken({ aud: 'https://elsewhere.example.com/webhook/gmail' }),
	],
	[
		'an expired token',
		() => fake.pushToken({ aud: harness.webhookUrl, exp: Math.floor(Date.now() / 1000) - 3600 }),
	],
	[
		'another service account',
		() => fake.pushToken({ aud: harness.webhookUrl, email: 'evil@x.iam.gserviceaccount.com' }),
	],
	['no JWT at all', () => 'not-a-jwt'],
])(
	'a push with %s is answered 204 and ignored: no Gmail call, nothing emitted',
	async (_what, forge) => {
		fake.addMessage({ raw: mail('waiting') });
		await harness.activate();
		const before = fake.requests.length;
		expect(await fake.deliverPush(harness.webhookUrl, { token: forge() })).toBe(204);
		await harness.settle();
		expect(fake.requests.length).toBe(before);
		expect(harness.executions).toEqual([]);
		// The genuine push that follows is processed.
		expect(await fake.deliverPush(harness.webhookUrl)).toBe(204);
		await harness.settle();
		expect(subjects()).toEqual(['waiting']);
	},
);

test('pushes during a pass fold into one pass after it: no duplicate, never two passes at once', async () => {
	await harness.activate();
	await fake.deliverPush(harness.webhookUrl);
	await harness.settle();
	fake.addMessages(Array.from({ length: 5 }, (_, i) => ({ raw: mail(`first ${i}`) })));

	const pushes: Array<Promise<number>> = [];
	let downloads = 0;
	fake.beforeAnswer((_method, path) => {
		if (path.startsWith('messages/') && ++downloads === 2) {
			// Mail arrives during the pass, and Pub/Sub pushes for each message at once.
			for (let i = 0; i < 4; i++) {
				fake.addMessage({ raw: mail(`during ${i}`) });
				pushes.push(fake.deliverPush(harness.webhookUrl));
			}
			// The running pass goes on only once every push has reached the pass lock (each push
			// verifies its token and opens a session first, which a busy machine can make slower
			// than the rest of the pass): three ride on the one queued, which leaves two calls.
			fake.holdAnswers(
				Promise.all(pushes).then(async () => {
					while (harness.webhookCallsInFlight() > 2)
						await new Promise((resolve) => setTimeout(resolve, 5));
				}),
			);
		}
	});
	const from = fake.requests.length;
	expect(await fake.deliverPush(harness.webhookUrl)).toBe(204);
	await harness.settle();
	expect(await Promise.all(pushes)).toEqual([204, 204, 204, 204]);
	await harness.settle();

	const all = subjects();
	expect(all.filter((subject) => subject.startsWith('first'))).toEqual([
		'first 0',
		'first 1',
		'first 2',
		'first 3',
		'first 4',
	]);
	expect(all.filter((subject) => subject.startsWith('during'))).toEqual([
		'during 0',
		'during 1',
		'during 2',
		'during 3',
	]);
	expect(new Set(harness.emittedIds()).size).toBe(harness.emittedIds().length);
	// The running pass, then ONE pass for the four pushes, started after the first one ended.
	const calls = fake.requests.slice(from).map((request) => request.path.split('/')[0]);
	expect(calls).toEqual([
		'history',
		...Array(5).fill('messages'),
		'history',
		...Array(4).fill('messages'),
	]);
	expect(harness.errors).toEqual([]);
});
