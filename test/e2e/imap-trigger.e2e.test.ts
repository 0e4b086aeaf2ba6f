// The Email Intel IMAP Trigger in a real n8n (2.41.1, the pack installed as a community
// package) against a real Dovecot: an active workflow ingests a seeded mailbox, n8n is
// restarted, new mail is picked up, and nothing is emitted twice — checked on the executions
// n8n itself recorded, read through its public API.
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { newWorkflowId, nodeOutput, startN8n, type N8nInstance } from './harness';
import { imapCredential, imapTriggerNode, iocReport, subjectsOf } from './seeds';

describe('Email Intel IMAP Trigger in a real n8n', () => {
	const workflowId = newWorkflowId();
	let dovecot: DovecotServer;
	let n8n: N8nInstance;

	beforeAll(async () => {
		dovecot = await startDovecot();
		await dovecot.seed('alice', 'INBOX', ['first 1', 'first 2', 'first 3'].map(iocReport));
		const credential = imapCredential(dovecot, { id: 'ImapE2eCred00001' });
		const workflow = {
			id: workflowId,
			name: 'e2e: IMAP trigger',
			nodes: [imapTriggerNode({ id: 'i1', credential })],
			connections: {},
		};
		n8n = await startN8n({
			credentials: [credential],
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
		expect(subjectsOf(executions, 'IMAP Trigger')).toEqual(['first 1', 'first 2', 'first 3']);
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

		await dovecot.seed('alice', 'INBOX', ['second 1', 'second 2'].map(iocReport));
		// The next scheduled poll (every minute) brings them.
		const executions = await n8n.waitForExecutions(workflowId, 2, 150_000);
		expect(
			executions.every((execution: { status: string }) => execution.status === 'success'),
		).toBe(true);
		const subjects = subjectsOf(executions, 'IMAP Trigger');
		expect(subjects).toEqual(['first 1', 'first 2', 'first 3', 'second 1', 'second 2']);
		expect(new Set(subjects).size).toBe(subjects.length);

		const flags = await dovecot.flags('alice', 'INBOX');
		expect([...flags.values()].filter((list) => list.includes('\\Seen'))).toEqual([]);
	});
});
