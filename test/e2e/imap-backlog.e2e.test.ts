// The Email Intel IMAP Trigger version 2 in a real n8n (2.41.1, the pack installed as a community
// package) against a real Dovecot: a backlog is handed on in executions of at most Max Items
// per Execution, each message in exactly one finished execution, in UID order — checked on the
// executions n8n itself recorded, read through its public API.
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { message } from '../lib/providers/imap/messages';
import { newWorkflowId, startN8n, type N8nInstance } from './harness';
import { imapCredential, imapTriggerNode, subjectsOf } from './seeds';

const BACKLOG = 250;
const BATCH = 100;

describe('Email Intel IMAP Trigger v2: a backlog in bounded executions, in a real n8n', () => {
	const workflowId = newWorkflowId();
	let dovecot: DovecotServer;
	let n8n: N8nInstance;
	const expected = Array.from({ length: BACKLOG }, (_, i) => `backlog ${i}`);

	beforeAll(async () => {
		dovecot = await startDovecot();
		await dovecot.seed(
			'alice',
			'INBOX',
			expected.map((subject) => message({ subject })),
		);
		const credential = imapCredential(dovecot, { id: 'ImapBacklogCred1' });
		n8n = await startN8n({
			credentials: [credential],
			workflows: [
				{
					id: workflowId,
					name: 'e2e: IMAP backlog',
					nodes: [
						imapTriggerNode({
							id: 'b1',
							credential,
							typeVersion: 2,
							options: { maxItemsPerExecution: BATCH },
						}),
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

	it('every message in exactly one finished execution, none above the batch size', async () => {
		// The activation poll hands on one batch, returns, and drains the rest in the background.
		const executions = await n8n.waitForExecutions(workflowId, Math.ceil(BACKLOG / BATCH), 200_000);
		expect(
			executions.every((execution: { status: string }) => execution.status === 'success'),
		).toBe(true);
		const batches = executions.map((execution: Record<string, unknown>) =>
			subjectsOf([execution], 'IMAP Trigger'),
		);
		for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(BATCH);
		const subjects = batches.flat();
		expect([...subjects].sort()).toEqual([...expected].sort());
		expect(new Set(subjects).size).toBe(BACKLOG);
	});
});
