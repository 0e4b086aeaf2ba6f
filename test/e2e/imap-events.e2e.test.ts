// The Email Intel IMAP Events Trigger in a real n8n (2.41.1, the pack installed as a community
// package) against a real Dovecot: an active workflow sees a message appended while n8n runs,
// and a flag change made by another client, each as one execution, read back through n8n's API.
// Mail arrives by IMAP APPEND (dovecot.seed): delivery through a real MTA is another branch's.
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { RawImap } from '../imap/raw-imap';
import { newWorkflowId, nodeOutput, packNodeType, startN8n, type N8nInstance } from './harness';
import { credentialRef, imapCredential, iocReport } from './seeds';

describe('Email Intel IMAP Events Trigger in a real n8n', () => {
	const workflowId = newWorkflowId();
	let dovecot: DovecotServer;
	let n8n: N8nInstance;
	const events = (executions: Array<Record<string, unknown>>) =>
		executions.flatMap((execution) =>
			nodeOutput(execution, 'IMAP Events').map(
				(item: { json: Record<string, unknown> }) => item.json,
			),
		);

	beforeAll(async () => {
		dovecot = await startDovecot();
		await dovecot.seed('alice', 'INBOX', [iocReport('there before activation')]);
		const credential = imapCredential(dovecot, { id: 'ImapEventsCred01' });
		n8n = await startN8n({
			credentials: [credential],
			workflows: [
				{
					id: workflowId,
					name: 'e2e: IMAP events',
					nodes: [
						{
							id: 'ev1',
							name: 'IMAP Events',
							type: packNodeType('emailIntelImapEventsTrigger'),
							typeVersion: 1,
							position: [0, 0],
							parameters: { mailboxes: 'INBOX', options: {} },
							credentials: { emailIntelImapApi: credentialRef(credential) },
						},
					],
					connections: {},
				},
			],
			publish: [workflowId],
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await dovecot?.stop();
	});

	it('a message appended while n8n runs is one execution; what was there before is not an event', async () => {
		// n8n 2.41 activates published workflows after "Editor is now accessible": wait until the
		// trigger says its baseline is taken, or the message would be part of the baseline.
		const watching = 'Email Intel IMAP Events Trigger: watching "INBOX" over IDLE';
		for (let i = 0; i < 600 && !n8n.logs().includes(watching); i++)
			await new Promise((resolve) => setTimeout(resolve, 100));
		expect(n8n.logs()).toContain(watching);
		const [uid] = await dovecot.seed('alice', 'INBOX', [iocReport('arrived while active')]);
		const executions = await n8n.waitForExecutions(workflowId, 1, 60_000);
		expect(executions[0].status).toBe('success');
		const [item] = nodeOutput(executions[0], 'IMAP Events');
		expect(item.json).toMatchObject({
			event: 'messageNew',
			provider: 'imap',
			mailbox: 'INBOX',
			uid,
			subject: 'arrived while active',
			attachments: [{ filename: 'iocs.csv', binaryProperty: 'attachment_0' }],
		});
		expect(item.binary.attachment_0.mimeType).toBe('text/csv');
		expect(events(executions)).toHaveLength(1);
	});

	it('a flag set by another client is one messageUpdated execution', async () => {
		const imap = await RawImap.connect(dovecot.host, dovecot.port);
		try {
			await imap.login('alice', dovecot.users.alice);
			await imap.ok(['SELECT INBOX\r\n']);
			await imap.ok(['UID STORE 1 +FLAGS.SILENT ($Phishing)\r\n']);
		} finally {
			await imap.logout().catch(() => imap.destroy());
		}
		const executions = await n8n.waitForExecutions(workflowId, 2, 60_000);
		expect(events(executions).map((json) => json.event)).toEqual(['messageNew', 'messageUpdated']);
		expect(events(executions)[1]).toMatchObject({
			uid: 1,
			flagsAdded: ['$Phishing'],
			flagsRemoved: [],
		});
	});
});
