// The Send operation inside n8n-core's real ExecuteContext (parameters with defaults,
// credentials, binary helpers), submitting to a real Postfix that delivers into a real Dovecot.
// A small stand-in node routes to the operation until the Email (IMAP) node's router exists.
import fs from 'node:fs';
import path from 'node:path';

import { simpleParser, type ParsedMail } from 'mailparser';
import {
	NodeConnectionTypes,
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as send from '../../../nodes/EmailIntelImap/v1/actions/message/send.operation';
import { toNodeError } from '../../../nodes/shared/errors';
import { runNode, shutdownN8nCore } from '../../helpers/n8n/execute';
import { startDovecot, type DovecotServer } from '../../imap/dovecot';
import { startPostfix, type PostfixServer } from '../../mta/postfix';
import { message } from '../../lib/providers/imap/messages';

const ALICE = 'alice@mail.test';
const BOB = 'bob@mail.test';

/** The router's job in miniature: the item loop, error mapping, continueOnFail. */
class SendStandIn implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Email (IMAP) Send stand-in',
		name: 'emailIntelImapSendStandIn',
		group: ['output'],
		version: 1,
		description: 'test stand-in for the Email (IMAP) node',
		defaults: { name: 'Send' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'emailIntelImapApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Message', value: 'message' }],
				default: 'message',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Send', value: 'send', action: 'Send a message' }],
				default: 'send',
			},
			...send.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const output: INodeExecutionData[] = [];
		for (let i = 0; i < this.getInputData().length; i++) {
			try {
				output.push(...(await send.execute.call(this, i)));
			} catch (caught) {
				const error = toNodeError(this.getNode(), caught, i);
				if (!this.continueOnFail()) throw error;
				output.push({
					json: { error: error.message, description: error.description ?? '' },
					pairedItem: { item: i },
				});
			}
		}
		return [output];
	}
}

let dovecot: DovecotServer;
let postfix: PostfixServer;

beforeAll(async () => {
	dovecot = await startDovecot({ mta: true, users: { [ALICE]: 'alicepass', [BOB]: 'bobpass' } });
	postfix = await startPostfix(dovecot);
});
afterAll(async () => {
	await postfix?.stop();
	await dovecot?.stop();
	shutdownN8nCore();
});

function credential(overrides: ICredentialDataDecryptedObject = {}, withSmtp = true) {
	const imap: ICredentialDataDecryptedObject = {
		host: dovecot.host,
		port: dovecot.port,
		security: 'starttls',
		caCertificate: dovecot.certPem,
		user: ALICE,
		authMethod: 'password',
		password: 'alicepass',
	};
	if (!withSmtp) return { emailIntelImapApi: imap };
	return {
		emailIntelImapApi: {
			host: dovecot.host,
			port: dovecot.port,
			security: 'starttls',
			caCertificate: dovecot.certPem,
			user: ALICE,
			authMethod: 'password',
			password: 'alicepass',
			smtpHost: postfix.host,
			smtpPort: postfix.submissionPort,
			smtpSecurity: 'starttls',
			...overrides,
		},
	};
}

const run = (
	parameters: Record<string, unknown>,
	items: INodeExecutionData[] = [{ json: {} }],
	extra: {
		credentials?: ICredentialDataDecryptedObject;
		continueOnFail?: boolean;
		/** a credential saved before the SMTP fields existed */
		imapOnly?: boolean;
	} = {},
) =>
	runNode(new SendStandIn(), {
		parameters: { resource: 'message', operation: 'send', ...parameters } as never,
		items,
		credentials: credential(extra.credentials, !extra.imapOnly),
		continueOnFail: extra.continueOnFail,
	});

/** The locator an IMAP trigger would emit for a message of Alice's INBOX. */
async function locatorOf(uid: number): Promise<string> {
	const uidValidity = (
		await dovecot.doveadm('-f', 'flow', 'mailbox', 'status', '-u', ALICE, 'uidvalidity', 'INBOX')
	)
		.trim()
		.replace(/^.*uidvalidity=/, '');
	return `imap://${encodeURIComponent(ALICE)}@${dovecot.host}:${dovecot.port}/INBOX;UIDVALIDITY=${uidValidity}/;UID=${uid}`;
}

async function received(user: string, subject: string): Promise<ParsedMail> {
	await postfix.waitForEmptyQueue();
	const dir = dovecot.maildir(user, 'INBOX');
	for (const sub of ['new', 'cur']) {
		const folder = path.join(dir, sub);
		if (!fs.existsSync(folder)) continue;
		for (const file of fs.readdirSync(folder)) {
			const mail = await simpleParser(fs.readFileSync(path.join(folder, file)));
			if (mail.subject === subject) return mail;
		}
	}
	throw new Error(`${user} has no message "${subject}"\n${postfix.log()}`);
}

test('sends a new message with the item binary as attachment; the SMTP login defaults to the IMAP one', async () => {
	const csv = Buffer.from('indicator,kind\n203.0.113.9,ipv4\n');
	const [[output]] = await run(
		{ to: `Bob <${BOB}>`, subject: 'IOC export', text: 'Attached.', attachments: 'data' },
		[
			{
				json: {},
				binary: {
					data: { data: csv.toString('base64'), mimeType: 'text/csv', fileName: 'iocs.csv' },
				},
			},
		],
	);
	expect(output.pairedItem).toEqual({ item: 0 });
	expect(output.json).toMatchObject({ accepted: [BOB], sentCopy: { done: true, mailbox: 'Sent' } });
	const mail = await received(BOB, 'IOC export');
	expect(mail.messageId).toBe(output.json.messageId);
	expect(mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString()])).toEqual([
		['iocs.csv', 'text/csv', csv.toString()],
	]);
});

test('replies to a trigger item by its locator: Re: subject, threading headers, original \\Answered', async () => {
	const [uid] = await dovecot.seed(ALICE, 'INBOX', [
		message({
			from: `Bob <${BOB}>`,
			to: ALICE,
			subject: 'suspicious login',
			messageId: '<login-7@mail.test>',
		}),
	]);
	const locator = await locatorOf(uid);
	const [[output]] = await run({ sendType: 'reply', text: 'It was me.' }, [{ json: { locator } }]);
	expect(output.json).toMatchObject({ originalFlag: { done: true, flag: '\\Answered' } });
	const mail = await received(BOB, 'Re: suspicious login');
	expect(mail.inReplyTo).toBe('<login-7@mail.test>');
	expect((await dovecot.flags(ALICE, 'INBOX')).get(uid)).toContain('\\Answered');
});

test('forwards the input item itself: its fields and its attachment binary (no second fetch), original $Forwarded', async () => {
	const [uid] = await dovecot.seed(ALICE, 'INBOX', [
		message({
			from: 'Mallory <mallory@evil.example>',
			to: ALICE,
			subject: 'Payment',
			messageId: '<pay-1@evil.example>',
		}),
	]);
	const locator = await locatorOf(uid);
	const pdf = Buffer.from('%PDF-1.4 lure\n%%EOF\n');
	// what the IMAP trigger emits for the message: the normalized JSON plus attachment_0
	const item: INodeExecutionData = {
		json: {
			provider: 'imap',
			locator,
			messageId: '<pay-1@evil.example>',
			references: [],
			subject: 'Payment (as the trigger saw it)',
			from: { name: 'Mallory', address: 'mallory@evil.example' },
			replyTo: [],
			to: [{ name: '', address: ALICE }],
			cc: [],
			text: 'Pay now.',
			html: '',
			attachments: [
				{
					id: '2',
					filename: 'lure.pdf',
					contentType: 'application/pdf',
					size: pdf.length,
					inline: false,
					binaryProperty: 'attachment_0',
				},
			],
		},
		binary: {
			attachment_0: {
				data: pdf.toString('base64'),
				mimeType: 'application/pdf',
				fileName: 'lure.pdf',
			},
		},
	};
	const [[output]] = await run({ sendType: 'forward', to: BOB, text: 'Phish, see attachment.' }, [
		item,
	]);
	expect(output.json).toMatchObject({ originalFlag: { done: true, flag: '$Forwarded' } });
	const mail = await received(BOB, 'Fwd: Payment (as the trigger saw it)');
	expect(mail.text).toContain('Pay now.');
	expect(mail.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
		['lure.pdf', pdf.toString()],
	]);
	expect((await dovecot.flags(ALICE, 'INBOX')).get(uid)).toContain('$Forwarded');
});

test('a wrong SMTP password fails the item with the field to fix; continueOnFail keeps going', async () => {
	const failure = run({ to: BOB, subject: 'x', text: 'x' }, undefined, {
		credentials: { smtpPassword: 'wrong' },
	});
	await expect(failure).rejects.toMatchObject({
		message: expect.stringContaining('rejected the login for "alice@mail.test"'),
		description: expect.stringContaining('smtpPassword'),
	});
	const [[errorItem]] = await run({ to: BOB, subject: 'x', text: 'x' }, undefined, {
		credentials: { smtpPassword: 'wrong' },
		continueOnFail: true,
	});
	expect(errorItem.json.description).toContain('smtpPassword');
	expect(errorItem.pairedItem).toEqual({ item: 0 });
});

test('a credential saved before the SMTP fields is told to fill in SMTP Host', async () => {
	await expect(
		run({ to: BOB, subject: 'x', text: 'x' }, undefined, { imapOnly: true }),
	).rejects.toMatchObject({ description: expect.stringContaining('smtpHost') });
});

test('security None with the IMAP password is refused unless Allow Cleartext Password is on', async () => {
	const plain = { smtpPort: postfix.plainPort, smtpSecurity: 'none' };
	await expect(
		run({ to: BOB, subject: 'clear', text: 'x' }, undefined, { credentials: plain }),
	).rejects.toMatchObject({ description: expect.stringContaining('smtpSecurity') });
	await run({ to: BOB, subject: 'clear allowed', text: 'x' }, undefined, {
		credentials: { ...plain, smtpAllowCleartextLogin: true },
	});
	await received(BOB, 'clear allowed');
});
