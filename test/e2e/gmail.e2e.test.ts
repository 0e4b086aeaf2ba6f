// The Email Intel Gmail Trigger in a real n8n (2.41.1, the pack installed as a community
// package) against the Gmail fake, signed in with a Google token JSON that n8n stores
// encrypted: an active workflow ingests the seeded mailbox, n8n is restarted, new mail is
// picked up from the history, and nothing is emitted twice — checked on the executions n8n
// itself recorded, read through its public API.
import { startFakeGmail, type FakeGmail } from '../fakes/gmail';
import { mail } from '../lib/providers/gmail/mail';
import { newWorkflowId, nodeOutput, packNodeType, startN8n, type N8nInstance } from './harness';
import { subjectsOf } from './seeds';

const NODE = 'Gmail Trigger';

describe('Email Intel Gmail Trigger in a real n8n', () => {
	const workflowId = newWorkflowId();
	const credentialId = 'GmailE2eCred0001';
	let fake: FakeGmail;
	let n8n: N8nInstance;

	beforeAll(async () => {
		fake = await startFakeGmail();
		fake.addMessage({ raw: mail('first 1', { attachment: true }) });
		fake.addMessage({ raw: mail('first 2') });
		fake.addMessage({ raw: mail('first 3'), labelIds: ['INBOX', 'Label_phish'] });
		fake.addMessage({ raw: mail('sent, not watched'), labelIds: ['SENT'] });
		const workflow = {
			id: workflowId,
			name: 'e2e: Gmail trigger',
			nodes: [
				{
					id: 'g1',
					name: NODE,
					type: packNodeType('emailIntelGmailTrigger'),
					typeVersion: 1,
					position: [0, 0],
					parameters: {
						pollTimes: { item: [{ mode: 'everyMinute' }] },
						authentication: 'googleApi',
						labels: 'INBOX, Label_phish',
						options: {},
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
	});

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	it('ingests the seeded mailbox once the workflow is active', async () => {
		const executions = await n8n.waitForExecutions(workflowId, 1, 120_000);
		expect(executions[0].status).toBe('success');
		expect(subjectsOf(executions, NODE)).toEqual(['first 1', 'first 2', 'first 3']);
		const [item] = nodeOutput(executions[0], NODE);
		expect(item.json).toMatchObject({
			provider: 'gmail',
			account: 'me',
			mailbox: 'INBOX',
			labels: ['INBOX', 'UNREAD'],
			locator: expect.stringMatching(/^gmail:\/\/me\/messages\//),
			attachments: [{ filename: 'report.pdf', binaryProperty: 'attachment_0' }],
		});
		expect(item.binary.attachment_0.mimeType).toBe('application/pdf');
	});

	it('after a restart picks up only new mail from the history, nothing repeated', async () => {
		await n8n.restart();
		// The activation poll after the restart finds nothing new: no second execution.
		await new Promise((resolve) => setTimeout(resolve, 5000));
		expect(await n8n.executions(workflowId)).toHaveLength(1);

		fake.addMessage({ raw: mail('second 1'), labelIds: ['Label_phish'] });
		fake.addMessage({ raw: mail('second 2'), labelIds: ['INBOX', 'Label_phish'] });
		// The next scheduled poll (every minute) brings them.
		const executions = await n8n.waitForExecutions(workflowId, 2, 150_000);
		expect(
			executions.every((execution: { status: string }) => execution.status === 'success'),
		).toBe(true);
		const subjects = subjectsOf(executions, NODE);
		expect(subjects).toEqual(['first 1', 'first 2', 'first 3', 'second 1', 'second 2']);
		// The token JSON was refreshed at its token_uri, and the access token reused across polls.
		expect(fake.tokenRequests.length).toBeLessThanOrEqual(2);
	});
});
