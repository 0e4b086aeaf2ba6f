// Email Intel IMAP Trigger → ClamAV → (Malicious) Mail Remediation in a real n8n (2.41.1, the pack
// installed as a community package) against a real Dovecot and a real clamd (issue 14's chain):
// the message carrying the EICAR test file is rewritten in Dovecot (the file replaced by a note,
// the banner in its text and HTML bodies, the X-header added, its flags and INTERNALDATE kept,
// exactly one copy left in INBOX, the untouched original in the audit folder), the clean message
// is not touched, and a second Mail Remediation given the original's locator changes nothing.
import { startClamd, type ClamdServer } from '../clamav/clamd';
import { EICAR } from '../fixtures/eicar';
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { settingsFor } from '../lib/providers/imap/poll-helper';
import { invoiceMail, readFolder } from '../lib/providers/imap/remediation-helper';
import { newWorkflowId, nodeOutput, startN8n, type Json, type N8nInstance } from './harness';
import {
	clamAvNode,
	credentialRef,
	expectEicarRemediatedOnce,
	imapCredential,
	imapTriggerNode,
	iocReport,
	remediationChain,
	subjectsOf,
} from './seeds';

const AUDIT_FOLDER = 'Email Intel Audit';
const RECEIVED = new Date('2026-11-30T08:15:00Z');

const MESSAGE_ID = '<eicar-invoice.e2e@evil.example>';

/** Text and HTML bodies, the EICAR file named like an invoice (part 2), and a harmless CSV. */
const eicarMessage = () =>
	invoiceMail(
		'EICAR invoice',
		[
			{ filename: 'invoice.pdf', contentType: 'application/pdf', data: EICAR },
			{
				filename: 'iocs.csv',
				contentType: 'text/csv',
				data: Buffer.from('indicator,type\nevil.example,domain\n'),
			},
		],
		MESSAGE_ID,
	);

describe('IMAP Trigger → ClamAV → Mail Remediation in a real n8n, against Dovecot and clamd', () => {
	const workflowId = newWorkflowId();
	let dovecot: DovecotServer;
	let clamd: ClamdServer;
	let n8n: N8nInstance;
	/** The clean message as Dovecot stored it before n8n started. */
	let cleanBefore: { uid: number; raw: string; flags: string[] };

	beforeAll(async () => {
		[dovecot, clamd] = await Promise.all([startDovecot(), startClamd()]);
		await dovecot.seed('alice', 'INBOX', [eicarMessage(), iocReport('Clean report')], {
			internalDates: [RECEIVED, RECEIVED],
			flags: [['$Important'], []],
		});
		const [, clean] = await readFolder(settingsFor(dovecot), 'INBOX');
		cleanBefore = { uid: clean.uid, raw: clean.raw, flags: clean.flags };

		const imap = imapCredential(dovecot, { id: 'ImapChainCred001' });
		const clamAv = {
			id: 'ClamdChainCred01',
			name: 'clamd',
			type: 'clamAvApi',
			data: { connection: 'tcp', host: clamd.host, port: clamd.port },
		};
		const chain = remediationChain({
			scanNode: 'ClamAV',
			policy: {
				addHeaders: true,
				headers: { header: [{ name: 'X-Attachment-Scan', value: 'malicious' }] },
			},
			credentials: { emailIntelImapApi: credentialRef(imap) },
		});
		n8n = await startN8n({
			credentials: [imap, clamAv],
			workflows: [
				{
					id: workflowId,
					name: 'e2e: IMAP → ClamAV → Mail Remediation',
					nodes: [
						imapTriggerNode({ credential: imap, typeVersion: 2 }),
						clamAvNode(credentialRef(clamAv), 'c1'),
						...chain.nodes,
					],
					connections: {
						'IMAP Trigger': { main: [[{ node: 'ClamAV', type: 'main', index: 0 }]] },
						...chain.connections,
					},
				},
			],
			publish: [workflowId],
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await Promise.all([clamd?.stop(), dovecot?.stop()]);
	});

	it('rewrites the EICAR message in Dovecot once, audit copy kept, the clean message untouched', async () => {
		const [execution] = await n8n.waitForExecutions(workflowId, 1, 180_000);
		const { first, again } = expectEicarRemediatedOnce(execution, clamd.eicarSignature);
		expect([...first.json.remediation.done].sort()).toEqual(
			['auditCopy', 'banner', 'deleteAttachment', 'headers', 'textBanner'].sort(),
		);
		expect([...again.json.remediation.alreadyDone].sort()).toEqual(
			['banner', 'deleteAttachment', 'headers'].sort(),
		);
		// Both runs hand on where the message is now: the rewrite.
		expect(again.json.locator).toBe(first.json.locator);

		// INBOX as a mail client sees it: the clean message byte for byte, and one rewrite.
		const inbox = await readFolder(settingsFor(dovecot), 'INBOX');
		const clean = inbox.find((stored) => stored.uid === cleanBefore.uid);
		expect(clean && { uid: clean.uid, raw: clean.raw, flags: clean.flags }).toEqual(cleanBefore);
		const copies = inbox.filter((stored) => stored.parsed.messageId === MESSAGE_ID);
		expect(copies).toHaveLength(1);
		expect(inbox).toHaveLength(2);
		const [rewrite] = copies;
		expect(first.json.locator).toMatch(new RegExp(`;UID=${rewrite.uid}$`));
		expect(rewrite.parsed.headers.get('x-attachment-scan')).toBe('malicious');
		expect(rewrite.parsed.subject).toBe('EICAR invoice');
		expect(rewrite.flags).toEqual(['$Important']);
		expect(rewrite.internalDate.toISOString()).toBe(RECEIVED.toISOString());
		expect(rewrite.raw).not.toContain(EICAR.toString('base64').slice(0, 40));
		expect(rewrite.parsed.attachments.map((part) => part.filename)).toEqual(['iocs.csv']);
		expect(rewrite.raw).toContain('Content-Description: Email Intel: attachment removed');
		expect(rewrite.parsed.text).toMatch(/^\[Security Notice\]/);
		expect(rewrite.parsed.text).toContain('invoice.pdf');
		expect(String(rewrite.parsed.html).split('data-email-intel-banner')).toHaveLength(2);

		// The untouched original, once, in the audit folder: EICAR still in it.
		const audit = await readFolder(settingsFor(dovecot), AUDIT_FOLDER);
		expect(audit).toHaveLength(1);
		expect(audit[0].parsed.messageId).toBe(MESSAGE_ID);
		const eicar = audit[0].parsed.attachments.find((part) => part.filename === 'invoice.pdf');
		expect(eicar?.content.equals(EICAR)).toBe(true);
		expect(audit[0].parsed.headers.has('x-attachment-scan')).toBe(false);
	});

	it('the rewrite, polled as new mail, comes out of Clean and is not remediated again', async () => {
		// The rewrite was APPENDed: to the IMAP server it is new mail, and the next scheduled poll
		// hands it on. Its EICAR file is gone, so ClamAV finds it clean: no second remediation.
		const executions = await n8n.waitForExecutions(workflowId, 2, 150_000);
		expect(executions.map((execution: Json) => execution.status)).toEqual(['success', 'success']);
		expect(subjectsOf([executions[1]], 'IMAP Trigger')).toEqual(['EICAR invoice']);
		expect(subjectsOf([executions[1]], 'Clean')).toEqual(['EICAR invoice']);
		// What a workflow that must not see it twice can filter on.
		const [again] = nodeOutput(executions[1], 'IMAP Trigger');
		expect(again.json.headers['x-email-intel-rewrite-of']).toEqual([
			expect.stringMatching(/^sha256-[0-9a-f]{40}$/),
		]);
		expect(nodeOutput(executions[1], 'Mail Remediation')).toEqual([]);
		const inbox = await readFolder(settingsFor(dovecot), 'INBOX');
		expect(inbox).toHaveLength(2);
		expect(await readFolder(settingsFor(dovecot), AUDIT_FOLDER)).toHaveLength(1);
	});
});
