// A Mail Remediation that fails half-way, retried the way a user does it in n8n (Executions →
// Retry): Microsoft 365 Mail Poll Trigger → Deep Instinct DSX → Mail Remediation against the
// Graph fake and the DSXA fake, in a real n8n. Graph refuses the first DELETE of the EICAR
// attachment after the audit copy was made; the execution fails with that error. Retried, the
// remediation finishes, and the message ends as after one clean run: one audit copy, the
// attachment gone, one banner, one tag.
import { EICAR } from '../fakes/dsxa';
import { nodeOutput, type Json } from './harness';
import { startM365DsxLab, UPN, type M365DsxLab } from './m365-dsx';

describe('Mail Remediation retried after a half-done run, in a real n8n', () => {
	let lab: M365DsxLab;

	beforeAll(async () => {
		lab = await startM365DsxLab((graph) => {
			graph.addMessages(UPN, 'Inbox', [
				{
					subject: 'EICAR report',
					attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf', content: EICAR }],
				},
			]);
			// As when the app registration was granted Mail.Read but not yet Mail.ReadWrite on
			// attachments: a permanent error, not retried by the transport.
			graph.fault({ method: 'DELETE', path: /\/attachments\//, status: 403 });
		});
	});

	afterAll(async () => {
		await lab?.stop();
	});

	/** The audit copies made so far (`POST …/copy`). */
	const copies = () =>
		lab.graph.requests.filter(
			(request) => request.method === 'POST' && request.path.endsWith('/copy'),
		);

	it('the failed execution names the refused DELETE; the retry finishes with one audit copy', async () => {
		const [failed] = await lab.n8n.waitForExecutions(lab.workflowId, 1, 180_000);
		expect(failed.status).toBe('error');
		expect(failed.data.resultData.lastNodeExecuted).toBe('Mail Remediation');
		expect(JSON.stringify(failed.data.resultData.error)).toMatch(/403/);
		const [message] = lab.graph.messages(UPN, 'Inbox');
		// Half-done: the audit copy made, the attachment still there.
		expect(copies()).toHaveLength(1);
		expect(message.attachments.map((attachment) => attachment.name)).toEqual(['invoice.pdf']);
		expect(message.subject).toBe('EICAR report');

		// Executions → Retry (with the original workflow), as the editor sends it.
		await lab.n8n.rest('POST', `/executions/${failed.id}/retry`, { loadWorkflow: false });
		const executions = await lab.n8n.waitForExecutions(lab.workflowId, 2, 120_000);
		const retried = executions.find((execution: Json) => execution.id !== failed.id);
		expect(retried).toMatchObject({ status: 'success', mode: 'retry' });
		const [first] = nodeOutput(retried, 'Mail Remediation');
		expect(first.json.remediation).toMatchObject({
			changed: true,
			refused: [],
			removedAttachments: [{ filename: 'invoice.pdf', reason: 'malicious' }],
			notes: expect.arrayContaining([
				expect.stringMatching(/audit copy .* is kept; no second copy/),
			]),
		});
		expect(first.json.remediation.done).not.toContain('auditCopy');
		const [again] = nodeOutput(retried, 'Remediate Again');
		expect(again.json.remediation).toMatchObject({ changed: false, done: [] });

		const [after] = lab.graph.messages(UPN, 'Inbox');
		expect(after.subject).toBe('[Suspicious] EICAR report');
		expect(after.attachments).toEqual([]);
		expect(after.body.split('data-email-intel-banner')).toHaveLength(2);
		const audit = lab.graph.messages(UPN, first.json.remediation.audit.mailbox);
		expect(audit.map((copy) => copy.attachments.map((a) => a.content.equals(EICAR)))).toEqual([
			[true],
		]);
		expect(copies()).toHaveLength(1);
	});
});
