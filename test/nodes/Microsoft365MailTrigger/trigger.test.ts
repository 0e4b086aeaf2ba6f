import type { IDataObject } from 'n8n-workflow';

import { Microsoft365MailTrigger } from '../../../nodes/Microsoft365MailTrigger/Microsoft365MailTrigger.node';
import type { GraphTriggerState } from '../../../lib/providers/graph';
import { startFakeGraph, type FakeGraph } from '../../fakes/graph';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';

const UPN = 'soc@contoso.com';
const STATE_KEY = 'node:Microsoft 365 Mail Trigger';

function credentialsFor(fake: FakeGraph) {
	return { microsoftGraphAppApi: fake.credentialData() };
}

function stateOf(harness: Harness): GraphTriggerState {
	return (harness.staticData()[STATE_KEY] ?? {}) as GraphTriggerState;
}

function duplicates(ids: string[]): string[] {
	const seen = new Set<string>();
	return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

describe('Microsoft 365 Mail Trigger (webhook) in n8n-core contexts against the Graph fake', () => {
	let fake: FakeGraph;
	let harness: Harness;

	beforeEach(async () => {
		fake = await startFakeGraph({ defaultPageSize: 10 });
		harness = await startHarness(new Microsoft365MailTrigger(), {
			parameters: {
				mailboxes: UPN,
				options: {
					attachmentMimeTypes:
						'application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document',
					maxItemsPerRun: 1000,
				},
				attachmentFilter: '**/*.docx\n**/*.pdf\n- tmp/',
			},
			credentials: credentialsFor(fake),
		});
	});
	afterEach(async () => {
		await fake.settle();
		await harness.close();
		await fake.close();
	});

	it('activation: Graph validates the webhook URL (200 text/plain echo), then the subscription exists; re-activation finds it', async () => {
		const { existed } = await harness.activate();
		expect(existed).toBe(false);
		const validations = fake.events.filter((e) => e.type === 'validation');
		expect(validations).toEqual([
			expect.objectContaining({ ok: true, status: 200, url: harness.webhookUrl }),
		]);
		const created = fake.events.filter((e) => e.type === 'created');
		expect(created).toHaveLength(1);
		const sub = [...fake.subscriptions.values()][0];
		expect(sub).toMatchObject({
			changeType: 'created',
			notificationUrl: harness.webhookUrl,
			lifecycleNotificationUrl: harness.webhookUrl,
			resource: `users/${UPN}/mailFolders('Inbox')/messages`,
		});
		// Expiration: Graph's maximum for messages (10,080 min) minus our margin.
		const minutes = (Date.parse(sub.expirationDateTime) - Date.now()) / 60_000;
		expect(minutes).toBeGreaterThan(10_080 - 61);
		expect(minutes).toBeLessThanOrEqual(10_080);
		const state = stateOf(harness);
		expect(state.clientState).toHaveLength(64);
		expect(sub.clientState).toBe(state.clientState);
		expect((await harness.activate()).existed).toBe(true);
		expect(fake.events.filter((e) => e.type === 'created')).toHaveLength(1);
	});

	it('creation fails like Graph when the endpoint does not echo the token', async () => {
		const bad = await startFakeGraph();
		try {
			const { startSubscriber } = await import('../../fakes/graph/subscriber');
			const wrong = await startSubscriber(
				({ res }) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('not the token'),
			);
			const {
				GraphClient,
				createHttpsTransport,
				createMsalTokenSource,
				validateGraphConfig,
				createSubscription,
			} = await import('../../../lib/providers/graph');
			const config = validateGraphConfig({
				tenantId: bad.tenantId,
				clientId: bad.clientId,
				clientSecret: bad.clientSecret,
				authorityHost: bad.authorityHost,
				graphBaseUrl: bad.url,
				ca: bad.caPem,
			});
			const transport = createHttpsTransport({ ca: config.ca });
			const client = new GraphClient({
				graphBaseUrl: config.graphBaseUrl,
				transport,
				tokens: createMsalTokenSource(config, transport),
			});
			await expect(
				createSubscription(client, {
					upn: UPN,
					folder: 'Inbox',
					notificationUrl: wrong.url,
					lifecycleNotificationUrl: wrong.url,
					clientState: 'x',
				}),
			).rejects.toMatchObject({
				status: 400,
				message: expect.stringContaining('validation request failed'),
			});
			expect(bad.subscriptions.size).toBe(0);
			await wrong.close();
			transport.close();
		} finally {
			await bad.close();
		}
	});

	it('emits new mail with file attachments as binary; a wrong clientState is answered 202 and ignored', async () => {
		await harness.activate();
		const sub = [...fake.subscriptions.values()][0];
		const forged = await fake.post(harness.webhookUrl, {
			value: [
				{
					subscriptionId: sub.id,
					clientState: 'x'.repeat(64),
					changeType: 'created',
					resource: 'Users/x/Messages/y',
				},
			],
		});
		expect(forged.status).toBe(202);
		const unknown = await fake.post(harness.webhookUrl, {
			value: [{ subscriptionId: 'not-ours', clientState: stateOf(harness).clientState }],
		});
		expect(unknown.status).toBe(202);
		await harness.settle();
		expect(harness.executions).toHaveLength(0);
		expect(fake.requests.filter((r) => r.path.includes('/delta'))).toHaveLength(0);

		const [message] = fake.addMessages(UPN, 'Inbox', [
			{
				subject: 'Invoice',
				attachments: [
					{
						name: 'invoice.pdf',
						contentType: 'application/pdf',
						content: Buffer.from('%PDF-1.7 invoice'),
					},
					{
						name: 'notes.docx',
						contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
						content: Buffer.from('PK docx'),
					},
					{ name: 'run.exe', contentType: 'application/pdf', content: Buffer.from('MZ') },
					{ name: 'forwarded', kind: 'item' },
					{ name: 'Shared file', kind: 'reference' },
				],
			},
		]);
		await fake.settle();
		await harness.settle();
		expect(fake.deliveries.map((d) => d.status)).toEqual([202]);
		expect(harness.executions).toHaveLength(1);
		const [item] = harness.executions[0].items;
		expect(item.json).toMatchObject({
			provider: 'graph',
			account: UPN,
			mailbox: 'Inbox',
			id: message.id,
			subject: 'Invoice',
		});
		expect(
			(item.json.attachments as IDataObject[]).map((a) => [
				a.filename,
				a.binaryProperty ?? a.skipped,
			]),
		).toEqual([
			['invoice.pdf', 'attachment_0'],
			['notes.docx', 'attachment_1'],
			['run.exe', 'filename'],
			['forwarded.eml', 'kind'],
			['Shared file', 'kind'],
		]);
		expect(Buffer.from(item.binary!.attachment_0.data, 'base64').toString()).toBe(
			'%PDF-1.7 invoice',
		);
		expect(item.binary!.attachment_1).toMatchObject({ fileName: 'notes.docx' });
		expect(fake.missingImmutableId).toBe(0);
	});

	it('a notification that arrives before n8n has saved the activation is not lost', async () => {
		await harness.activate();
		// n8n saves an activation's static data after its webhook methods return, and each
		// webhook call loads it again: a notification in between sees the state as it was.
		harness.setStaticData({});
		const [message] = fake.addMessages(UPN, 'Inbox', [{ subject: 'Early bird' }]);
		await fake.settle();
		await harness.settle();
		expect(fake.deliveries.map((d) => d.status)).toEqual([202]);
		expect(harness.executions).toHaveLength(1);
		expect(harness.executions[0].items.map((item) => item.json.id)).toEqual([message.id]);
	});

	it('renews a subscription with < 24 h left when the node runs, renews on reauthorizationRequired, deletes on deactivation (404 ignored)', async () => {
		await harness.activate();
		const sub = [...fake.subscriptions.values()][0];
		// Ten hours left (as if six days had passed): the next run renews it.
		const soon = new Date(Date.now() + 10 * 3_600_000);
		fake.setSubscriptionExpiry(sub.id, soon);
		const state = harness.staticData();
		(state[STATE_KEY] as GraphTriggerState).scopes![
			`${UPN}/Inbox`
		].subscription!.expirationDateTime = soon.toISOString();
		harness.setStaticData(state);
		fake.addMessages(UPN, 'Inbox', [{ subject: 'wake up' }]);
		await fake.settle();
		await harness.settle();
		const renewed = fake.events.filter((e) => e.type === 'renewed');
		expect(renewed).toHaveLength(1);
		expect(
			Date.parse(fake.subscriptions.get(sub.id)!.expirationDateTime) - Date.now(),
		).toBeGreaterThan(6 * 24 * 3_600_000);
		expect(
			Date.parse(stateOf(harness).scopes![`${UPN}/Inbox`].subscription!.expirationDateTime),
		).toBe(Date.parse(fake.subscriptions.get(sub.id)!.expirationDateTime));

		expect(await fake.sendLifecycle(sub.id, 'reauthorizationRequired')).toBe(202);
		await harness.settle();
		expect(fake.events.filter((e) => e.type === 'renewed')).toHaveLength(2);

		expect(await harness.deactivate()).toBe(true);
		expect(fake.events.filter((e) => e.type === 'deleted')).toEqual([
			expect.objectContaining({ id: sub.id, found: true }),
		]);
		expect(fake.subscriptions.size).toBe(0);
		// Deactivating again: Graph answers 404, which counts as deleted.
		const again = harness.staticData();
		(again[STATE_KEY] as GraphTriggerState).scopes![`${UPN}/Inbox`].subscription = {
			id: sub.id,
			expirationDateTime: soon.toISOString(),
		};
		harness.setStaticData(again);
		expect(await harness.deactivate()).toBe(true);
		expect(fake.events.filter((e) => e.type === 'deleted').at(-1)).toMatchObject({
			id: sub.id,
			found: false,
		});
	});

	it('a burst is handled by one call: every POST gets its 202, a lifecycle event inside it is acted on, a forged one is ignored', async () => {
		await harness.activate();
		const sub = [...fake.subscriptions.values()][0];
		fake.notificationPolicy.auto = false;
		const added = fake.addMessages(
			UPN,
			'Inbox',
			Array.from({ length: 20 }, (_, i) => ({ subject: `burst ${i}` })),
		);
		const notification = (id: string) => ({
			value: [
				{
					subscriptionId: sub.id,
					clientState: stateOf(harness).clientState,
					changeType: 'created',
					resource: `Users/${UPN}/Messages/${id}`,
				},
			],
		});
		const forged = {
			value: [
				{
					subscriptionId: sub.id,
					clientState: 'f'.repeat(64),
					lifecycleEvent: 'subscriptionRemoved',
				},
			],
		};
		const lifecycle = {
			value: [
				{
					subscriptionId: sub.id,
					clientState: stateOf(harness).clientState,
					lifecycleEvent: 'reauthorizationRequired',
				},
			],
		};
		const answers = await Promise.all([
			...added.slice(0, 10).map((m) => fake.post(harness.webhookUrl, notification(m.id))),
			fake.post(harness.webhookUrl, forged),
			fake.post(harness.webhookUrl, lifecycle),
			...added.slice(10).map((m) => fake.post(harness.webhookUrl, notification(m.id))),
		]);
		expect(answers.map((a) => a.status)).toEqual(Array(22).fill(202));
		await harness.settle();
		// One execution holds the whole burst; the genuine lifecycle event renewed the
		// subscription, the forged "subscriptionRemoved" recreated nothing.
		expect(harness.executions).toHaveLength(1);
		expect(harness.emittedIds().sort()).toEqual(added.map((m) => m.id).sort());
		expect(fake.events.filter((e) => e.type === 'renewed')).toHaveLength(1);
		expect(fake.events.filter((e) => e.type === 'created')).toHaveLength(1);
		expect([...fake.subscriptions.keys()]).toEqual([sub.id]);
	});

	it('500 messages in bursts, 30 % of notifications dropped, some duplicated, out of order: each emitted exactly once', async () => {
		await harness.activate();
		Object.assign(fake.notificationPolicy, {
			dropRate: 0.3,
			duplicateRate: 0.15,
			reorder: true,
			auto: false,
		});
		const added: string[] = [];
		for (let burst = 0; burst < 10; burst++) {
			added.push(
				...fake
					.addMessages(
						UPN,
						'Inbox',
						Array.from({ length: 50 }, (_, i) => ({ subject: `burst ${burst} #${i}` })),
					)
					.map((m) => m.id),
			);
			void fake.flushNotifications();
			await new Promise((resolve) => setTimeout(resolve, 30));
		}
		await fake.settle();
		await harness.settle();
		const emitted = harness.emittedIds();
		const delivered = fake.deliveries.length;
		expect(delivered).toBeLessThan(500 * 1.0); // drops really happened
		expect(duplicates(fake.deliveries.flatMap((d) => d.messageIds)).length).toBeGreaterThan(0); // and duplicates
		expect(duplicates(emitted)).toEqual([]);
		expect(new Set(emitted)).toEqual(new Set(added));
		expect(fake.deliveries.every((d) => d.status === 202)).toBe(true);
		expect(harness.errors).toEqual([]);
	});

	it('expired delta token (410) and subscriptionRemoved: recovered with 0 lost and 0 duplicated', async () => {
		await harness.activate();
		const first = fake
			.addMessages(
				UPN,
				'Inbox',
				Array.from({ length: 30 }, (_, i) => ({ subject: `before ${i}` })),
			)
			.map((m) => m.id);
		await fake.settle();
		await harness.settle();
		expect(new Set(harness.emittedIds())).toEqual(new Set(first));

		fake.expireDeltaTokens(UPN, 'Inbox', 'gone');
		const second = fake
			.addMessages(
				UPN,
				'Inbox',
				Array.from({ length: 20 }, (_, i) => ({ subject: `after expiry ${i}` })),
			)
			.map((m) => m.id);
		await fake.settle();
		await harness.settle();
		expect(fake.events.some((e) => e.type === 'deltaExpired' && e.status === 410)).toBe(true);

		fake.expireDeltaTokens(UPN, 'Inbox', 'syncStateNotFound');
		const third = fake
			.addMessages(UPN, 'Inbox', [{ subject: 'after syncStateNotFound' }])
			.map((m) => m.id);
		await fake.settle();
		await harness.settle();
		expect(fake.events.some((e) => e.type === 'deltaExpired' && e.status === 400)).toBe(true);

		// Graph drops the subscription; mail arriving meanwhile raises no notification.
		const oldSub = [...fake.subscriptions.values()][0];
		fake.notificationPolicy.auto = false;
		const whileRemoved = fake
			.addMessages(
				UPN,
				'Inbox',
				Array.from({ length: 5 }, (_, i) => ({ subject: `while removed ${i}` })),
			)
			.map((m) => m.id);
		fake.subscriptions.delete(oldSub.id);
		await fake.flushNotifications(); // nothing: the subscription is gone
		fake.subscriptions.set(oldSub.id, oldSub);
		expect(await fake.removeSubscription(oldSub.id)).toBe(202);
		await harness.settle();
		const newSub = [...fake.subscriptions.values()][0];
		expect(newSub.id).not.toBe(oldSub.id);
		expect(stateOf(harness).scopes![`${UPN}/Inbox`].subscription!.id).toBe(newSub.id);
		fake.notificationPolicy.auto = true;
		const fourth = fake
			.addMessages(UPN, 'Inbox', [{ subject: 'after recreation' }])
			.map((m) => m.id);
		await fake.settle();
		await harness.settle();

		const emitted = harness.emittedIds();
		expect(duplicates(emitted)).toEqual([]);
		expect(new Set(emitted)).toEqual(
			new Set([...first, ...second, ...third, ...whileRemoved, ...fourth]),
		);
	});

	it('a missed lifecycle event triggers a delta pass', async () => {
		await harness.activate();
		fake.notificationPolicy.auto = false;
		const ids = fake.addMessages(UPN, 'Inbox', [{ subject: 'never notified' }]).map((m) => m.id);
		expect(await fake.sendLifecycle([...fake.subscriptions.keys()][0], 'missed')).toBe(202);
		await harness.settle();
		expect(harness.emittedIds()).toEqual(ids);
	});
});
