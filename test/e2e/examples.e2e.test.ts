// The example workflows (examples/*.json) end to end in a real n8n (2.41.1, the pack installed
// as a community package), against the demo's stand-ins started by the demo's own modules
// (test/demo/): each example is imported as a user would import it (its credential references
// bound to the demo's credentials), published, and judged by what a user would look at — the
// OpenCTI stand-in's reports, the Microsoft 365 stand-in's mailbox, the reporter's real Dovecot
// INBOX, dsx-connect's answer.
import fs from 'node:fs';
import path from 'node:path';

import { simpleParser } from 'mailparser';

import { formatLocator } from '../../lib/mail/locator';
import { formatLocation } from '../../lib/scan/dsx-connect/location';
import { bindCredentials, demoCredentials } from '../demo/credentials';
import { readExample } from '../demo/examples';
import { EICAR_INVOICE, INBOX_SEED, PHISHING_REPORT, rawEmail, THREAT_REPORT } from '../demo/mail';
import { deliverToGraph, reportPhishing } from '../demo/seed';
import { DEMO_ACCOUNTS, startDemoServers, type DemoServers } from '../demo/servers';
import { dsxaScan } from '../fakes/dsx-connect';
import { SEEDED_MARKINGS } from '../fakes/opencti';
import { startN8n, type N8nInstance } from './harness';

const IMAP_TO_OPENCTI = readExample('imap-to-opencti.json');
const M365_DSX = readExample('m365-dsx-remediation.json');
const IMAP_REPLY = readExample('imap-events-reply.json');
const DSX_CONNECT = readExample('dsx-connect-remediation.json');
const EXAMPLES = [IMAP_TO_OPENCTI, M365_DSX, IMAP_REPLY, DSX_CONNECT];

const idOf = (example: typeof IMAP_TO_OPENCTI) => {
	if (!example.workflow.id) throw new Error(`examples/${example.file} has no fixed id`);
	return example.workflow.id;
};

async function until<T>(what: string, probe: () => T | undefined | false, n8n: N8nInstance) {
	const deadline = Date.now() + 90_000;
	for (;;) {
		const value = probe();
		if (value) return value;
		if (Date.now() > deadline)
			throw new Error(`${what} did not happen; n8n log tail:\n${n8n.logs().slice(-4000)}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

describe('the example workflows in a real n8n, against the demo servers', () => {
	let servers: DemoServers;
	let n8n: N8nInstance;

	beforeAll(async () => {
		servers = await startDemoServers();
		// The examples under test need every real part: a missing one fails here, never skips.
		expect(servers.notes).toEqual([]);
		await servers.dovecot!.seed(
			DEMO_ACCOUNTS.intel.user,
			'INBOX',
			INBOX_SEED.map((email) => rawEmail(email, DEMO_ACCOUNTS.intel.user)),
		);
		const credentials = demoCredentials(servers);
		n8n = await startN8n({
			credentials,
			workflows: EXAMPLES.map((example) => bindCredentials(example.workflow, credentials)),
			publish: EXAMPLES.map(idOf),
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await servers?.stop();
	});

	it('(1) IMAP → OpenCTI: every email of the mailbox is a report on the OpenCTI page, with its files and marking', async () => {
		const [run] = await n8n.waitForExecutions(idOf(IMAP_TO_OPENCTI), 1, 120_000);
		expect(run.status).toBe('success');
		const reports = [...servers.opencti.store.reports.values()];
		expect(reports.map((report) => report.name).sort()).toEqual(
			INBOX_SEED.map((email) => email.subject).sort(),
		);
		const amberStrict = SEEDED_MARKINGS['TLP:AMBER+STRICT'];
		const iocs = reports.find((report) => report.name.startsWith('IOC list'))!;
		expect(iocs).toMatchObject({
			objectMarking: [amberStrict],
			files: [{ name: 'qakbot-c2-week48.csv', mimeType: 'text/csv', markings: [amberStrict] }],
		});
		expect(servers.opencti.invalidRequests()).toEqual([]);
		const page = await (await fetch(`${servers.opencti.url}/`)).text();
		expect(page).toContain('4 report(s)');
		expect(page).toContain('qakbot-c2-week48.csv');
		expect(page).toContain('storm-1811-briefing.pdf');
	});

	it('(2) Microsoft 365 → DSX → Mail Remediation + OpenCTI: the EICAR attachment is replaced by a banner, a report is filed', async () => {
		const webhook = M365_DSX.workflow.nodes[0].webhookId as string;
		await until(
			'the Microsoft 365 subscription of example 2',
			() =>
				[...servers.graph.subscriptions.values()].some((sub) =>
					sub.notificationUrl.includes(webhook),
				),
			n8n,
		);
		const invoice = deliverToGraph(servers, EICAR_INVOICE);
		const clean = deliverToGraph(servers, THREAT_REPORT);
		await servers.graph.settle();
		await until(
			'the remediation of the EICAR invoice',
			() =>
				servers.graph
					.mailboxMessages(DEMO_ACCOUNTS.staff)
					.find((m) => m.id === invoice.id && m.attachments.length === 0),
			n8n,
		);
		const after = servers.graph.mailboxMessages(DEMO_ACCOUNTS.staff);
		const remediated = after.find((message) => message.id === invoice.id)!;
		expect(remediated.body).toContain('An attachment was removed from this email during scanning');
		expect(remediated.body).toContain('INV-2026-1187.pdf');
		expect(remediated.categories).toContain('Malicious attachment removed');
		// The benign report is left as it came.
		expect(after.find((message) => message.id === clean.id)).toMatchObject({
			attachments: [expect.objectContaining({ name: 'storm-1811-briefing.pdf' })],
			categories: [],
		});
		expect(servers.dsxa.scans.map((scan) => scan.verdict).sort()).toEqual(['Benign', 'Malicious']);
		const amber = SEEDED_MARKINGS['TLP:AMBER'];
		const report = await until(
			'the OpenCTI report of example 2',
			() =>
				[...servers.opencti.store.reports.values()].find(
					(r) => r.name === EICAR_INVOICE.subject && r.objectMarking.includes(amber),
				),
			n8n,
		);
		expect(report.externalReferences).toEqual([
			expect.objectContaining({ external_id: expect.stringMatching(/^mid:/) }),
		]);
		const runs = await n8n.waitForExecutions(idOf(M365_DSX), 1);
		expect(runs.every((run) => run.status === 'success')).toBe(true);
	});

	it('(4) IMAP Events → reply: the reporter gets the answer in their Dovecot INBOX, through Postfix', async () => {
		const dovecot = servers.dovecot!;
		const watching = 'Email Intel IMAP Events Trigger: watching "INBOX" over IDLE';
		await until('the IMAP Events Trigger baseline', () => n8n.logs().includes(watching), n8n);
		expect(await reportPhishing(servers)).toBe('smtp');
		const [run] = await n8n.waitForExecutions(idOf(IMAP_REPLY), 1, 90_000);
		expect(run.status).toBe('success');
		await servers.postfix!.waitForEmptyQueue();
		const inbox = dovecot.maildir(DEMO_ACCOUNTS.reporter.user, 'INBOX');
		const files = await until(
			"the reply in the reporter's INBOX",
			() => {
				const found = ['new', 'cur'].flatMap((dir) =>
					fs.existsSync(path.join(inbox, dir))
						? fs.readdirSync(path.join(inbox, dir)).map((file) => path.join(inbox, dir, file))
						: [],
				);
				return found.length > 0 && found;
			},
			n8n,
		);
		expect(files).toHaveLength(1);
		const source = fs.readFileSync(files[0]);
		const reply = await simpleParser(source);
		expect({
			subject: reply.subject,
			from: reply.from?.value[0]?.address,
			to: reply.to && !Array.isArray(reply.to) ? reply.to.value[0]?.address : undefined,
		}).toEqual({
			subject: `Re: ${PHISHING_REPORT.subject}`,
			from: DEMO_ACCOUNTS.phishing.user,
			to: DEMO_ACCOUNTS.reporter.user,
		});
		expect(reply.inReplyTo).toMatch(/^<phishing-report\./);
		expect(reply.text).toContain('thank you for reporting');
		// Postfix delivered it (its Received line), not an IMAP append.
		expect(source.toString('latin1')).toMatch(/by mta\.mail\.test \(Postfix\)/);
	});

	it('(5) DSX Connect Connector → Mail Remediation: item_action quarantines and tags the message, and answers dsx-connect', async () => {
		const connector = await until(
			'the connector registration of example 5',
			() => [...servers.dsxConnect.connectors.values()][0],
			n8n,
		);
		// Outside the Inbox example 2 watches, so only dsx-connect acts on it.
		const [message] = servers.graph.addMessages(DEMO_ACCOUNTS.staff, 'Downloads', [
			{
				subject: 'Shared file: payroll.pdf',
				attachments: [
					{
						name: 'payroll.pdf',
						contentType: 'application/pdf',
						content: EICAR_INVOICE.attachments[0].content,
					},
				],
			},
		]);
		const locator = formatLocator({
			provider: 'graph',
			account: DEMO_ACCOUNTS.staff,
			mailbox: 'Downloads',
			id: message.id,
		});
		const request = {
			location: formatLocation(locator, message.attachments[0].id),
			metainfo: 'payroll.pdf',
			connector: connector.instance,
			connector_url: connector.instance.url,
		};
		// What dsx-connect's workers do: read the file through the connector, scan it, act.
		const uuid = connector.instance.uuid;
		const read = await servers.dsxConnect.callConnector(uuid, 'read_file', request);
		expect(read.status).toBe(200);
		const verdict = await dsxaScan(servers.dsxa.url, 'demo-dsxa-token')(read.body, request);
		expect(verdict).toBe('Malicious');
		const action = await servers.dsxConnect.callConnector(uuid, 'item_action', request);
		expect({ status: action.status, json: JSON.parse(action.body.toString('utf8')) }).toMatchObject(
			{ status: 200, json: { status: 'success', item_action: 'movetag' } },
		);
		// Moved with its immutable id kept (the audit copy has the same subject and a new id).
		const moved = servers.graph
			.mailboxMessages(DEMO_ACCOUNTS.staff)
			.find((m) => m.id === message.id)!;
		expect(servers.graph.folderName(DEMO_ACCOUNTS.staff, moved.folder)).toBe('Quarantine');
		expect(moved.categories).toContain('Malicious: payroll.pdf');
		const [run] = await n8n.waitForExecutions(idOf(DSX_CONNECT), 1);
		expect(run.status).toBe('success');
	});
});
