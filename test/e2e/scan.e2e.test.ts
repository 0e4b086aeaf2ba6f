// Microsoft 365 Mail Poll Trigger → Deep Instinct DSX → three outputs, in a real n8n (2.41.1, the
// pack installed as a community package), against the https Graph fake and the DSXA fake: the
// EICAR test file in a PDF-named attachment comes out of Malicious, a benign PDF out of Clean,
// an email without attachments out of Not Scanned — each once, with its binaries and `scan`.
// Behind Malicious, Mail Remediation (issue 14's chain) acts on the message in the fake's mailbox,
// and a second Mail Remediation applies the same policy to the same message again.
import type { FakeMessage } from '../fakes/graph';
import { EICAR } from '../fakes/dsxa';
import { nodeOutput, type Json } from './harness';
import { startM365DsxLab, UPN, type M365DsxLab } from './m365-dsx';
import { SCAN_OUTPUTS } from './seeds';

const OUTPUTS = SCAN_OUTPUTS;

/** What a mailbox user sees of a message: subject, body, categories, attachments and folder. */
const visibleState = (message: FakeMessage) => ({
	folder: message.folder,
	subject: message.subject,
	body: message.body,
	categories: [...message.categories],
	attachments: message.attachments.map(({ name, contentType, content }) => ({
		name,
		contentType,
		content: content.toString('base64'),
	})),
});

describe('Microsoft 365 Mail Poll Trigger → Deep Instinct DSX in a real n8n', () => {
	let lab: M365DsxLab;
	/** What a mailbox user sees of the Clean and Not Scanned messages when they arrive. */
	let untouched: Json[];

	beforeAll(async () => {
		lab = await startM365DsxLab((graph) => {
			const seeded = graph.addMessages(UPN, 'Inbox', [
				{
					subject: 'EICAR report',
					attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf', content: EICAR }],
				},
				{
					subject: 'Benign report',
					attachments: [
						{
							name: 'report.pdf',
							contentType: 'application/pdf',
							content: Buffer.from('%PDF-1.7 quarterly figures'),
						},
					],
				},
				{ subject: 'No attachment' },
			]);
			untouched = seeded.slice(1).map(visibleState);
		});
	});

	afterAll(async () => {
		await lab?.stop();
	});

	it('routes each email to its output once, binaries and scan report kept', async () => {
		const executions = await lab.n8n.waitForExecutions(lab.workflowId, 1, 180_000);
		expect(executions.map((execution: Json) => execution.status)).toEqual(['success']);
		const routed = Object.fromEntries(
			OUTPUTS.map((name) => [
				name,
				executions.flatMap((execution: Json) => nodeOutput(execution, name)),
			]),
		) as Record<(typeof OUTPUTS)[number], Json[]>;
		expect(
			Object.fromEntries(
				OUTPUTS.map((name) => [name, routed[name].map((item) => item.json.subject)]),
			),
		).toEqual({
			Malicious: ['EICAR report'],
			Clean: ['Benign report'],
			'Not Scanned': ['No attachment'],
		});
		const [malicious] = routed.Malicious;
		expect(malicious.json.scan).toMatchObject({
			verdict: 'Malicious',
			engine: 'dsxa',
			files: [{ verdict: 'Malicious', attachment: { filename: 'invoice.pdf' } }],
		});
		expect(malicious.binary?.attachment_0).toMatchObject({ fileName: 'invoice.pdf' });
		expect(routed.Clean[0].json.scan.verdict).toBe('Benign');
		// Only the two PDFs went to the scanner, once each, with the token.
		expect(lab.dsxa.scans.map((scan) => scan.verdict).sort()).toEqual(['Benign', 'Malicious']);
		expect(lab.dsxa.scans.every((scan) => scan.headers.auth === 'dsxa-token')).toBe(true);
	});

	it('Mail Remediation behind Malicious strips the EICAR file, adds banner, tag and categories, once', async () => {
		const [execution] = await lab.n8n.waitForExecutions(lab.workflowId, 1, 180_000);
		const [first] = nodeOutput(execution, 'Mail Remediation');
		const [again] = nodeOutput(execution, 'Remediate Again');
		expect(nodeOutput(execution, 'Mail Remediation')).toHaveLength(1);
		expect(first.json.subject).toBe('EICAR report');
		expect(first.json.remediation).toMatchObject({
			provider: 'graph',
			changed: true,
			refused: [],
			removedAttachments: [{ filename: 'invoice.pdf', reason: 'malicious' }],
			notes: [expect.stringMatching(/categories instead/)],
		});
		expect([...first.json.remediation.done].sort()).toEqual(
			['auditCopy', 'banner', 'categories', 'deleteAttachment', 'headers', 'subjectTag'].sort(),
		);
		// The second run finds everything in place and changes nothing.
		expect(again.json.remediation).toMatchObject({ changed: false, done: [], refused: [] });
		expect([...again.json.remediation.alreadyDone].sort()).toEqual(
			['banner', 'categories', 'deleteAttachment', 'headers', 'subjectTag'].sort(),
		);

		// What the mailbox user sees: the attachment gone, one banner, one tag, categories once.
		const inbox = lab.graph.messages(UPN, 'Inbox');
		const eicar = inbox.find((message) => message.id === first.json.id)!;
		expect(eicar.subject).toBe('[Suspicious] EICAR report');
		expect(eicar.attachments).toEqual([]);
		expect(eicar.body.split('data-email-intel-banner')).toHaveLength(2);
		expect(eicar.body).toContain('<code>invoice.pdf</code>');
		expect([...eicar.categories].sort()).toEqual(['Phishing', 'X-Attachment-Scan: malicious']);
		// The untouched original, copied once into the audit folder before anything changed.
		const audit = lab.graph.messages(UPN, first.json.remediation.audit.mailbox);
		expect(audit.map((message) => message.subject)).toEqual(['EICAR report']);
		expect(audit[0].attachments.map((a) => [a.name, a.content.equals(EICAR)])).toEqual([
			['invoice.pdf', true],
		]);
		// The Clean and Not Scanned messages are as they arrived.
		const others = inbox.filter((message) => message.id !== eicar.id);
		expect(others.map(visibleState)).toEqual(untouched);
		// One DELETE and one audit copy in all, for both runs.
		const calls = (method: string, path: RegExp) =>
			lab.graph.requests.filter((request) => request.method === method && path.test(request.path));
		expect(calls('DELETE', /\/attachments\//)).toHaveLength(1);
		expect(calls('POST', /\/copy$/)).toHaveLength(1);
	});

	it('the next poll hands on only new mail: the remediated message is not emitted again', async () => {
		// Graph reports the remediated message as changed; the trigger has handed its id on already.
		lab.graph.addMessages(UPN, 'Inbox', [{ subject: 'Arrived later' }]);
		const executions = await lab.n8n.waitForExecutions(lab.workflowId, 2, 150_000);
		expect(executions.map((execution: Json) => execution.status)).toEqual(['success', 'success']);
		expect(nodeOutput(executions[1], 'M365 Poll').map((item: Json) => item.json.subject)).toEqual([
			'Arrived later',
		]);
		expect(nodeOutput(executions[1], 'Mail Remediation')).toEqual([]);
	});
});
