// The Email Intel Gmail Push Trigger in a real n8n (2.41.1, the pack installed as a community
// package) against the Gmail fake: activation makes the watch (users.watch), the fake delivers
// Pub/Sub pushes signed with its own JWKS key to n8n's production webhook URL, each genuine push
// runs the history pass, a forged one is ignored, and overlapping pushes emit nothing twice —
// checked on the executions n8n itself recorded, read through its public API.
import { startFakeGmail, type FakeGmail } from '../fakes/gmail';
import { mail } from '../lib/providers/gmail/mail';
import { newWorkflowId, nodeOutput, packNodeType, startN8n, type N8nInstance } from './harness';

const NODE = 'Gmail Push Trigger';
const TOPIC = 'projects/fake-project/topics/gmail';

describe('Email Intel Gmail Push Trigger in a real n8n', () => {
	const workflowId = newWorkflowId();
	const credentialId = 'GmailPushCred001';
	const webhookId = '3c0f6a0e-5b8e-4c55-9d1e-7f3b2a9c6d21';
	let fake: FakeGmail;
	let n8n: N8nInstance;
	let url: string;

	const subjectsOf = (executions: Array<Record<string, unknown>>) =>
		executions.flatMap((execution) =>
			nodeOutput(execution, NODE).map((item: { json: { subject: string } }) => item.json.subject),
		);
	const until = async (check: () => boolean, what: string) => {
		for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
		if (!check()) throw new Error(`timed out waiting for ${what}`);
	};

	beforeAll(async () => {
		fake = await startFakeGmail();
		fake.addMessage({ raw: mail('seeded 1', { attachment: true }) });
		fake.addMessage({ raw: mail('seeded 2') });
		const workflow = {
			id: workflowId,
			name: 'e2e: Gmail push trigger',
			nodes: [
				{
					id: 'p1',
					name: NODE,
					type: packNodeType('emailIntelGmailPushTrigger'),
					typeVersion: 1,
					position: [0, 0],
					webhookId,
					parameters: {
						authentication: 'googleApi',
						labels: 'INBOX',
						topicName: TOPIC,
						options: {
							jwksUrl: fake.jwksUrl,
							serviceAccountEmail: 'gmail-push@fake-project.iam.gserviceaccount.com',
						},
					},
					credentials: { emailIntelGoogleApi: { id: credentialId, name: 'Gmail fake' } },
				},
			],
			connections: {},
		};
		n8n = await startN8n({
			credentials: [
				{
					id: credentialId,
					name: 'Gmail fake',
					type: 'emailIntelGoogleApi',
					data: fake.credentialData(),
				},
			],
			workflows: [workflow],
			publish: [workflowId],
		});
		url = `${n8n.url}/webhook/${webhookId}/gmail`;
	});

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	it('activation watches the topic; a signed push to the production URL emits the start window', async () => {
		await until(() => fake.watches.length === 1, 'users.watch');
		expect(fake.watches[0]).toEqual({
			topicName: TOPIC,
			labelIds: ['INBOX'],
			labelFilterBehavior: 'include',
		});
		expect(await fake.deliverPush(url)).toBe(204);
		const executions = await n8n.waitForExecutions(workflowId, 1, 60_000);
		expect(executions[0].status).toBe('success');
		expect(subjectsOf(executions)).toEqual(['seeded 1', 'seeded 2']);
		const [item] = nodeOutput(executions[0], NODE);
		expect(item.json).toMatchObject({
			provider: 'gmail',
			mailbox: 'INBOX',
			locator: expect.stringMatching(/^gmail:\/\/me\/messages\//),
			attachments: [{ filename: 'report.pdf', binaryProperty: 'attachment_0' }],
		});
	});

	it('a forged push is answered and ignored; overlapping genuine pushes emit each message once', async () => {
		fake.addMessage({ raw: mail('later 1') });
		const before = fake.requests.length;
		// Signed for another audience: not for this endpoint.
		expect(
			await fake.deliverPush(url, {
				token: fake.pushToken({ aud: 'https://elsewhere.example.com/webhook' }),
			}),
		).toBe(204);
		// Signed with a key outside Google's JWKS.
		expect(
			await fake.deliverPush(url, { token: fake.pushToken({ aud: url }, { foreignKey: true }) }),
		).toBe(204);
		await new Promise((resolve) => setTimeout(resolve, 3000));
		expect(fake.requests.length).toBe(before);
		expect(await n8n.executions(workflowId)).toHaveLength(1);

		fake.addMessage({ raw: mail('later 2') });
		fake.addMessage({ raw: mail('later 3') });
		// Pub/Sub pushes once per change, concurrently, and may deliver one twice.
		expect(await Promise.all([1, 2, 3, 4].map(() => fake.deliverPush(url)))).toEqual([
			204, 204, 204, 204,
		]);
		await until(
			() => fake.requests.filter((request) => request.path.startsWith('messages/')).length >= 5,
			'the downloads',
		);
		// Let every call that was folded or skipped finish.
		await new Promise((resolve) => setTimeout(resolve, 5000));
		const executions = await n8n.executions(workflowId);
		expect(
			executions.every((execution: { status: string }) => execution.status === 'success'),
		).toBe(true);
		expect(subjectsOf(executions)).toEqual([
			'seeded 1',
			'seeded 2',
			'later 1',
			'later 2',
			'later 3',
		]);
	});
});
