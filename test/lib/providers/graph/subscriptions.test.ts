import {
	GraphClient,
	createHttpsTransport,
	createMsalTokenSource,
	createSubscription,
	messagesResource,
	newClientState,
	subscriptionExpiry,
	validateGraphConfig,
} from '../../../../lib/providers/graph';
import {
	startFakeGraph,
	startSubscriber,
	type FakeGraph,
	type Subscriber,
} from '../../../fakes/graph';

const UPN = 'soc@contoso.com';

describe('Graph subscription resource (the documented form)', () => {
	let fake: FakeGraph;
	let subscriber: Subscriber;
	let client: GraphClient;
	beforeAll(async () => {
		fake = await startFakeGraph();
		// Answers Graph's validation POST with the token, as the webhook node does.
		subscriber = await startSubscriber(({ query, res }) => {
			if (query.validationToken)
				res.writeHead(200, { 'content-type': 'text/plain' }).end(query.validationToken);
			else res.writeHead(202).end();
		});
		const config = validateGraphConfig({
			tenantId: fake.tenantId,
			clientId: fake.clientId,
			clientSecret: fake.clientSecret,
			authorityHost: fake.authorityHost,
			graphBaseUrl: fake.url,
			ca: fake.caPem,
		});
		const transport = createHttpsTransport({ ca: config.ca });
		client = new GraphClient({
			graphBaseUrl: config.graphBaseUrl,
			transport,
			tokens: createMsalTokenSource(config, transport),
		});
	});
	afterAll(async () => {
		await fake.close();
		await subscriber.close();
	});

	it("is users/{upn}/mailFolders('{id}')/messages, the UPN not percent-encoded, a quote doubled", () => {
		expect(messagesResource(UPN, 'Inbox')).toBe(
			"users/soc@contoso.com/mailFolders('Inbox')/messages",
		);
		expect(messagesResource(UPN, "AAMk'x")).toBe(
			"users/soc@contoso.com/mailFolders('AAMk''x')/messages",
		);
	});

	it('creates a subscription the fake accepts for that folder, and a new message is notified', async () => {
		const created = await createSubscription(client, {
			upn: UPN,
			folder: 'Inbox',
			notificationUrl: subscriber.url,
			lifecycleNotificationUrl: subscriber.url,
			clientState: newClientState(),
		});
		expect(created.resource).toBe("users/soc@contoso.com/mailFolders('Inbox')/messages");
		expect(fake.subscriptions.get(created.id)).toMatchObject({ upn: UPN, folder: 'Inbox' });
		const [message] = fake.addMessages(UPN, 'Inbox', [{ subject: 'notified' }]);
		await fake.settle();
		expect(fake.deliveries).toContainEqual(
			expect.objectContaining({
				subscriptionId: created.id,
				messageIds: [message.id],
				status: 202,
			}),
		);
	});

	it('the fake refuses the old form (percent-encoded UPN, folder as a path segment), as Graph would', async () => {
		for (const resource of [
			`users/${encodeURIComponent(UPN)}/mailFolders/Inbox/messages`,
			`users/${encodeURIComponent(UPN)}/mailFolders('Inbox')/messages`,
			`users/${UPN}/mailFolders/Inbox/messages`,
		]) {
			await expect(
				client.json({
					method: 'POST',
					url: '/subscriptions',
					mailbox: UPN,
					body: {
						changeType: 'created',
						notificationUrl: subscriber.url,
						resource,
						expirationDateTime: subscriptionExpiry(),
						clientState: newClientState(),
					},
				}),
			).rejects.toMatchObject({
				status: 400,
				message: expect.stringContaining('is not supported'),
			});
		}
	});
});
