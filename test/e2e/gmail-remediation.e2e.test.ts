// The example workflow examples/gmail-clamav-quarantine.json in a real n8n (2.41.1, the pack
// installed as a community package): the Email Intel Gmail Trigger polls the Gmail fake, a real
// clamd scans the attachments, and Mail Remediation quarantines what ClamAV calls Malicious.
// Checked in the mailbox itself: the EICAR message carries the Quarantine and Malware labels and
// is out of INBOX; the clean one is untouched.
import fs from 'node:fs';
import path from 'node:path';

import { startClamd, type ClamdServer } from '../clamav/clamd';
import { EICAR } from '../fakes/dsxa';
import { startFakeGmail, type FakeGmail, type FakeMessage } from '../fakes/gmail';
import { file, message, multipart, text } from '../fixtures/mime-factory';
import { newWorkflowId, nodeOutput, startN8n, type Json, type N8nInstance } from './harness';
import { REPO_ROOT } from './pack';

function mailWith(subject: string, attachment: { name: string; data: Buffer }): Buffer {
	return message(
		{
			From: 'Billing <billing@example.net>',
			To: 'soc@example.com',
			Subject: subject,
			Date: new Date().toUTCString(),
			'Message-ID': `<${subject.replace(/\W/g, '-')}@example.net>`,
		},
		multipart('mixed', 'e2e-boundary', [
			text(`Please see ${attachment.name}.`),
			file({
				contentType: 'application/octet-stream',
				data: attachment.data,
				disposition: `attachment; filename="${attachment.name}"`,
			}),
		]),
	);
}

describe('example workflow "Gmail → ClamAV → quarantine" in n8n 2.41.1', () => {
	const workflowId = newWorkflowId();
	let gmail: FakeGmail;
	let clamd: ClamdServer;
	let n8n: N8nInstance;
	let infected: FakeMessage;
	let clean: FakeMessage;

	beforeAll(async () => {
		[gmail, clamd] = await Promise.all([startFakeGmail(), startClamd()]);
		infected = gmail.addMessage({
			raw: mailWith('Invoice EICAR', { name: 'invoice.exe', data: EICAR }),
			labelIds: ['INBOX', 'UNREAD'],
		});
		clean = gmail.addMessage({
			raw: mailWith('Quarterly report', {
				name: 'report.pdf',
				data: Buffer.from('%PDF-1.7 quarterly figures'),
			}),
			labelIds: ['INBOX', 'UNREAD'],
		});

		const example = JSON.parse(
			fs.readFileSync(path.join(REPO_ROOT, 'examples/gmail-clamav-quarantine.json'), 'utf8'),
		) as Json;
		const [trigger, scanner] = example.nodes;
		n8n = await startN8n({
			workflows: [{ ...example, id: workflowId }],
			publish: [workflowId],
			credentials: [
				{
					id: trigger.credentials.emailIntelGoogleApi.id,
					name: 'Gmail mailbox',
					type: 'emailIntelGoogleApi',
					data: gmail.credentialData(),
				},
				{
					id: scanner.credentials.clamAvApi.id,
					name: 'clamd',
					type: 'clamAvApi',
					data: { connection: 'tcp', host: clamd.host, port: clamd.port },
				},
			],
		});
	}, 300_000);

	afterAll(async () => {
		await n8n?.stop();
		await clamd?.stop();
		await gmail?.close();
	});

	it('quarantines the EICAR message (Quarantine label, out of INBOX) and leaves the clean one alone', async () => {
		const [execution] = await n8n.waitForExecutions(workflowId, 1, 180_000);
		expect(execution.status).toBe('success');
		const [remediated] = nodeOutput(execution, 'Mail Remediation');
		expect(nodeOutput(execution, 'Mail Remediation')).toHaveLength(1);
		expect(remediated.json).toMatchObject({
			subject: 'Invoice EICAR',
			scan: { verdict: 'Malicious', engine: 'clamav' },
			remediation: {
				provider: 'gmail',
				done: ['categories', 'quarantine'],
				before: { id: infected.id, locator: `gmail://me/messages/${infected.id}` },
				after: { id: infected.id },
				refused: [],
			},
		});
		expect(nodeOutput(execution, 'ClamAV', 1).map((item: Json) => item.json.subject)).toEqual([
			'Quarterly report',
		]);

		const quarantine = gmail.labelByName('Quarantine')!;
		const malware = gmail.labelByName('Malware')!;
		const labels = gmail.message(infected.id)!.labelIds;
		expect(labels).toEqual(expect.arrayContaining([quarantine.id, malware.id, 'UNREAD']));
		expect(labels).not.toContain('INBOX');
		expect(labels).not.toContain('TRASH');
		// the clean message: the same labels as delivered, and no copy of either was made
		expect(gmail.message(clean.id)!.labelIds).toEqual(['INBOX', 'UNREAD']);
		expect(gmail.allMessages()).toHaveLength(2);
	}, 240_000);
});
