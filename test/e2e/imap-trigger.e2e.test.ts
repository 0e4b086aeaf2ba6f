// The Email Intel IMAP Trigger in a real n8n (2.41.1, the pack installed as a community
// package) against a real Dovecot: an active workflow ingests a seeded mailbox, n8n is
// restarted, new mail is picked up, and nothing is emitted twice — checked on the executions
// n8n itself recorded, read through its public API.
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { newWorkflowId, nodeOutput, packNodeType, startN8n, type N8nInstance } from './harness';

const message = (subject: string) =>
	[
		'From: Reporter <reporter@example.org>',
		'To: soc@example.net',
		`Subject: ${subject}`,
		`Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
		`Message-ID: <${subject.replace(/\W/g, '-')}.${Date.now()}@example.org>`,
		'MIME-Version: 1.0',
		'Content-Type: multipart/mixed; boundary="b"',
		'',
		'--b',
		'Content-Type: text/plain',
		'',
		`Body of ${subject}`,
		'--b',
		'Content-Type: text/csv; name="iocs.csv"',
		'Content-Disposition: attachment; filename="iocs.csv"',
		'',
		'indicator,type',
		'evil.example.com,domain',
		'--b--',
		'',
	].join('\r\n');

describe('Email Intel IMAP Trigger in a real n8n', () => {
	const workflowId = newWorkflowId();
	const credentialId = 'ImapE2eCred00001';
	let dovecot: DovecotServer;
	let n8n: N8nInstance;

	const subjectsOf = (executions: Array<Record<string, unknown>>) =>
		executions.flatMap((execution) =>
			nodeOutput(execution, 'IMAP Trigger').map(
				(item: { json: { subject: string } }) => item.json.subject,
			),
		);

	beforeAll(async () => {
		dovecot = await startDovecot();
		await dovecot.seed('alice', 'INBOX', ['first 1', 'first 2', 'first 3'].map(message));
		const workflow = {
			id: workflowId,
			name: 'e2e: IMAP trigger',
			nodes: [
				{
					id: 'i1',
					name: 'IMAP Trigger',
					type: packNodeType('emailIntelImapTrigger'),
					typeVersion: 1,
					position: [0, 0],
					parameters: {
						pollTimes: { item: [{ mode: 'everyMinute' }] },
						mailboxes: 'INBOX',
						options: {},
					},
					credentials: { emailIntelImapApi: { id: credentialId, name: 'Dovecot' } },
				},
			],
			connections: {},
		};
		n8n = await startN8n({
			credentials: [
				{
					id: credentialId,
					name: 'Dovecot',
					type: 'emailIntelImapApi',
					data: {
						host: dovecot.host,
						port: dovecot.port,
						security: 'none',
						allowSelfSigned: false,
						user: 'alice',
						authMethod: 'password',
						password: dovecot.users.alice,
					},
				},
			],
			workflows: [workflow],
			publish: [workflowId],
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await dovecot?.stop();
	});

	it('ingests the seeded mailbox once the workflow is active', async () => {
		const executions = await n8n.waitForExecutions(workflowId, 1, 120_000);
		expect(executions[0].status).toBe('success');
		expect(subjectsOf(executions)).toEqual(['first 1', 'first 2', 'first 3']);
		const [item] = nodeOutput(executions[0], 'IMAP Trigger');
		expect(item.json).toMatchObject({
			provider: 'imap',
			mailbox: 'INBOX',
			attachments: [{ filename: 'iocs.csv', binaryProperty: 'attachment_0' }],
		});
		expect(item.binary.attachment_0.mimeType).toBe('text/csv');
	});

	it('after a restart picks up only new mail, nothing repeated, nothing marked \\Seen', async () => {
		await n8n.restart();
		// The activation poll after the restart finds nothing new: no second execution.
		await new Promise((resolve) => setTimeout(resolve, 5000));
		expect(await n8n.executions(workflowId)).toHaveLength(1);

		await dovecot.seed('alice', 'INBOX', ['second 1', 'second 2'].map(message));
		// The next scheduled poll (every minute) brings them.
		const executions = await n8n.waitForExecutions(workflowId, 2, 150_000);
		expect(
			executions.every((execution: { status: string }) => execution.status === 'success'),
		).toBe(true);
		const subjects = subjectsOf(executions);
		expect(subjects).toEqual(['first 1', 'first 2', 'first 3', 'second 1', 'second 2']);
		expect(new Set(subjects).size).toBe(subjects.length);

		const flags = await dovecot.flags('alice', 'INBOX');
		expect([...flags.values()].filter((list) => list.includes('\\Seen'))).toEqual([]);
	});
});
