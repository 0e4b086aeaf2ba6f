import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { MailRemediation } from '../../../nodes/MailRemediation/MailRemediation.node';
import { startFakeGmail, type FakeGmail } from '../../fakes/gmail';
import { runNode, shutdownN8nCore } from '../../helpers/n8n/execute';
import { mail } from '../../lib/providers/gmail/mail';

/**
 * The node in n8n-core's real ExecuteContext against the Gmail fake, with the token JSON
 * credential chosen by Gmail Authentication: a Gmail item is remediated with it, and quarantine
 * then release through the node gives the message back its labels.
 */
let fake: FakeGmail;

beforeAll(async () => {
	fake = await startFakeGmail();
});
afterAll(async () => {
	await fake?.close();
	await shutdownN8nCore();
});

const credentials = () => ({
	emailIntelGoogleApi: {
		authMethod: 'tokenJson',
		googleTokenJson: fake.tokenJson(),
		apiBaseUrl: fake.apiBaseUrl,
	},
});

function gmailItem(): INodeExecutionData {
	const stored = fake.addMessage({
		raw: mail('Invoice', { attachment: true }),
		labelIds: ['INBOX', 'UNREAD'],
	});
	return {
		json: {
			provider: 'gmail',
			account: 'me',
			mailbox: 'INBOX',
			id: stored.id,
			locator: `gmail://me/messages/${stored.id}`,
			subject: 'Invoice',
		},
	};
}

test('quarantine and release of a Gmail item through the node, with the credential Gmail Authentication names', async () => {
	const item = gmailItem();
	const [[held]] = await runNode(new MailRemediation(), {
		parameters: {
			operation: 'remediate',
			gmailAuthentication: 'googleApi',
			banner: false,
			addCategories: true,
			categories: 'Phishing',
			quarantine: true,
			quarantineFolder: 'Node Quarantine',
		},
		items: [item],
		credentials: credentials(),
	});
	const quarantine = fake.labelByName('Node Quarantine')!.id;
	const phishing = fake.labelByName('Phishing')!.id;
	const remediation = held.json.remediation as IDataObject;
	expect(remediation).toMatchObject({
		provider: 'gmail',
		done: ['categories', 'quarantine'],
		alreadyDone: ['deleteAttachment'],
	});
	expect(held.json.locator).toBe(item.json.locator);
	expect(held.json.mailbox).toBe((remediation.after as IDataObject).mailbox);
	const labels = fake.message(item.json.id as string)!.labelIds;
	expect(labels).not.toContain('INBOX');
	expect(labels).toEqual(expect.arrayContaining(['UNREAD', phishing, quarantine]));

	const [[released]] = await runNode(new MailRemediation(), {
		parameters: { operation: 'release', gmailAuthentication: 'googleApi' },
		items: [held],
		credentials: credentials(),
	});
	expect((released.json.remediation as IDataObject).done).toEqual(['release']);
	expect([...fake.message(item.json.id as string)!.labelIds].sort()).toEqual(
		['INBOX', 'UNREAD', phishing].sort(),
	);
});

test('a Gmail item without the chosen Gmail credential fails alone, naming it (continue on fail)', async () => {
	const [out] = await runNode(new MailRemediation(), {
		parameters: { operation: 'remediate' },
		items: [gmailItem()],
		credentials: credentials(),
		continueOnFail: true,
	});
	expect(out[0].json.error).toMatch(
		/comes from gmail, but the node has no emailIntelGmailOAuth2Api credential/,
	);
});
