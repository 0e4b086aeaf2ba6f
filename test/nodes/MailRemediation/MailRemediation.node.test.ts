import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { MailRemediation } from '../../../nodes/MailRemediation/MailRemediation.node';
import { GRAPH_ORIGIN_PROPERTY } from '../../../lib/remediation/markers';
import { startFakeGraph, type FakeGraph } from '../../fakes/graph';
import { runNode, shutdownN8nCore } from '../../helpers/n8n/execute';
import { startDovecot, type DovecotServer } from '../../imap/dovecot';
import { dovecotCredential } from '../../imap/credentials';
import {
	readFolder,
	Remediation,
	scanReport,
	suspiciousMessage,
} from '../../lib/providers/imap/remediation-helper';
import { settingsFor } from '../../lib/providers/imap/poll-helper';

/**
 * The node in n8n-core's real ExecuteContext against the Graph fake and a real Dovecot: each
 * item is remediated with the credential of its own provider, the output carries the new place
 * and the audit record, and a failing item does not stop the others (continue on fail).
 */
const UPN = 'soc@contoso.com';
let fake: FakeGraph;
let server: DovecotServer;
let imap: Remediation;

beforeAll(async () => {
	[fake, server] = await Promise.all([startFakeGraph(), startDovecot()]);
	imap = new Remediation(server, settingsFor(server));
});
afterAll(async () => {
	await imap?.close();
	await Promise.all([fake?.close(), server?.stop()]);
	await shutdownN8nCore();
});

const imapCredential = () => dovecotCredential(server);

async function graphItem(): Promise<INodeExecutionData> {
	const [message] = fake.addMessages(UPN, 'Inbox', [
		{
			subject: 'Invoice',
			attachments: [
				{ name: 'report.pdf', contentType: 'application/pdf' },
				{ name: 'invoice.exe', contentType: 'application/octet-stream' },
			],
		},
	]);
	const exe = message.attachments[1];
	return {
		json: {
			provider: 'graph',
			account: UPN,
			mailbox: 'Inbox',
			id: message.id,
			locator: `graph://${encodeURIComponent(UPN)}/messages/${encodeURIComponent(message.id)}`,
			subject: 'Invoice',
			scan: {
				verdict: 'Malicious',
				engine: 'dsxa',
				scannedAt: new Date().toISOString(),
				files: [
					{
						attachment: { id: exe.id, filename: exe.name, size: 10 },
						verdict: 'Malicious',
						engine: 'dsxa',
						durationMs: 1,
					},
				],
			},
		} as IDataObject,
	};
}

async function imapItem(mailbox: string): Promise<INodeExecutionData> {
	const [uid] = await server.seed('alice', mailbox, [suspiciousMessage()]);
	return {
		json: {
			provider: 'imap',
			account: 'alice',
			mailbox,
			locator: await imap.locator(mailbox, uid),
			scan: scanReport() as unknown as IDataObject,
		},
	};
}

test('is usable as a tool and offers the credentials of every provider', () => {
	const description = new MailRemediation().getNodeType(1).description;
	expect(description.usableAsTool).toBe(true);
	expect(description.credentials?.map((c) => [c.name, c.required])).toEqual([
		['microsoftGraphAppApi', false],
		['emailIntelImapApi', false],
		['emailIntelGmailOAuth2Api', false],
		['emailIntelGoogleApi', false],
	]);
});

test('remediates a Microsoft 365 item and an IMAP item in one run, each with its own credential', async () => {
	const items = [await graphItem(), await imapItem('Node-Mixed')];
	const [out] = await runNode(new MailRemediation(), {
		parameters: { operation: 'remediate', addHeaders: true, tagSubject: true },
		items,
		credentials: {
			microsoftGraphAppApi: fake.credentialData(),
			emailIntelImapApi: imapCredential(),
		},
	});
	expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	const [graph, mail] = out.map((item) => item.json as IDataObject & { remediation: IDataObject });
	expect(graph.remediation).toMatchObject({
		provider: 'graph',
		done: ['auditCopy', 'deleteAttachment', 'banner', 'subjectTag', 'headers'],
		notes: [expect.stringMatching(/categories instead/)],
	});
	const inbox = fake.messages(UPN, 'Inbox').find((m) => m.id === items[0].json.id)!;
	expect(inbox.attachments.map((a) => a.name)).toEqual(['report.pdf']);
	expect(inbox.subject).toBe('[Suspicious] Invoice');
	expect(inbox.categories).toEqual(['X-Attachment-Scan: malicious']);

	expect(mail.remediation).toMatchObject({ provider: 'imap', changed: true });
	expect(mail.locator).not.toBe(items[1].json.locator); // the message's new place
	expect(mail.locator).toBe((mail.remediation.after as IDataObject).locator);
	const [rewritten] = await readFolder(imap.settings, 'Node-Mixed');
	expect(mail.locator).toMatch(new RegExp(`;UID=${rewritten.uid}$`));
	expect(rewritten.parsed.subject).toBe('[Suspicious] Quarterly invoice');
	expect(rewritten.parsed.headers.get('x-attachment-scan')).toBe('malicious');
	expect(rewritten.parsed.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
});

test('an item whose provider has no credential on the node fails alone (continue on fail), naming the credential', async () => {
	const items = [await graphItem(), await imapItem('Node-Missing')];
	const [out] = await runNode(new MailRemediation(), {
		parameters: { operation: 'remediate' },
		items,
		credentials: { emailIntelImapApi: imapCredential() },
		continueOnFail: true,
	});
	expect(out[0].json.error).toMatch(
		/comes from graph, but the node has no microsoftGraphAppApi credential/,
	);
	expect(out[0].pairedItem).toEqual({ item: 0 });
	expect((out[1].json.remediation as IDataObject).changed).toBe(true);
});

test('quarantine and release through the node return the message to where it was', async () => {
	const [item] = [await graphItem()];
	const credentials = { microsoftGraphAppApi: fake.credentialData() };
	const [[held]] = await runNode(new MailRemediation(), {
		parameters: {
			operation: 'remediate',
			quarantine: true,
			quarantineFolder: 'Node Quarantine',
			auditCopy: false,
		},
		items: [item],
		credentials,
	});
	const quarantine = held.json.mailbox as string;
	expect(fake.messages(UPN, quarantine).map((m) => m.id)).toEqual([item.json.id]);
	expect(fake.messages(UPN, quarantine)[0].extendedProperties.get(GRAPH_ORIGIN_PROPERTY)).toBe(
		'Inbox',
	);

	const [[released]] = await runNode(new MailRemediation(), {
		parameters: { operation: 'release' },
		items: [held],
		credentials,
	});
	expect(released.json.mailbox).toBe('Inbox');
	expect(fake.messages(UPN, quarantine)).toHaveLength(0);
	expect(fake.messages(UPN, 'Inbox').some((m) => m.id === item.json.id)).toBe(true);
});
