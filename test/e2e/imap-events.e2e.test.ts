// The Email Intel IMAP Events Trigger in a real n8n (2.41.1, the pack installed as a community
// package) against a real Dovecot: an active workflow sees a message appended while n8n runs,
// a flag change made by another client, and a message another user sends through a real
// Postfix (authenticated submission, LMTP into Dovecot), each as one execution, read back
// through n8n's API. A second workflow answers mail with the Email (IMAP) node's Send → Reply,
// and the reply really arrives through the same Postfix.
import { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';

import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { RawImap } from '../imap/raw-imap';
import { startPostfix, type PostfixServer } from '../mta/postfix';
import { newWorkflowId, nodeOutput, packNodeType, startN8n, type N8nInstance } from './harness';
import { imapCredential, iocReport } from './seeds';

// Full addresses: the MTA's LMTP delivery looks recipients up by address (dovecot.ts `mta`).
const ALICE = 'alice@mail.test';
const BOB = 'bob@mail.test';
/** The account of the auto-reply workflow. */
const CAROL = 'carol@mail.test';

/** Bob's mail client: nodemailer on the STARTTLS submission port with his own login. */
async function sendAsBob(
	postfix: PostfixServer,
	dovecot: DovecotServer,
	mail: { to: string; subject: string; text: string; messageId: string },
): Promise<void> {
	const transport = createTransport({
		host: postfix.host,
		port: postfix.submissionPort,
		secure: false,
		requireTLS: true,
		tls: { ca: dovecot.certPem, servername: 'localhost' },
		auth: { user: BOB, pass: dovecot.users[BOB] },
	});
	try {
		const sent = await transport.sendMail({
			from: { name: 'Bob', address: BOB },
			...mail,
			attachments: [
				{
					filename: 'iocs.csv',
					content: 'indicator,type\nevil.example.com,domain\n',
					contentType: 'text/csv',
				},
			],
		});
		expect(sent.accepted).toEqual([mail.to]);
	} finally {
		transport.close();
	}
	await postfix.waitForEmptyQueue();
}

/** Subject, In-Reply-To and References of each message in a mailbox, read with another client (read-only). */
async function headersIn(dovecot: DovecotServer, user: string, mailbox: string): Promise<string> {
	const client = new ImapFlow({
		host: dovecot.host,
		port: dovecot.port,
		secure: false,
		doSTARTTLS: false,
		auth: { user, pass: dovecot.users[user] },
		logger: false,
	});
	client.on('error', () => undefined);
	await client.connect();
	try {
		const lock = await client.getMailboxLock(mailbox, { readOnly: true });
		try {
			const headers: string[] = [];
			for await (const message of client.fetch('1:*', {
				headers: ['subject', 'in-reply-to', 'references'],
			}))
				headers.push(message.headers?.toString() ?? '');
			return headers.join('\n');
		} finally {
			lock.release();
		}
	} finally {
		await client.logout().catch(() => client.close());
	}
}

describe('Email Intel IMAP Events Trigger in a real n8n', () => {
	const workflowId = newWorkflowId();
	const replyWorkflowId = newWorkflowId();
	const credentialId = 'ImapEventsCred01';
	const carolCredentialId = 'ImapEventsCred02';
	let dovecot: DovecotServer;
	let postfix: PostfixServer;
	let n8n: N8nInstance;
	const events = (executions: Array<Record<string, unknown>>) =>
		executions.flatMap((execution) =>
			nodeOutput(execution, 'IMAP Events').map(
				(item: { json: Record<string, unknown> }) => item.json,
			),
		);

	beforeAll(async () => {
		dovecot = await startDovecot({
			mta: true,
			users: { [ALICE]: 'alicepass', [BOB]: 'bobpass', [CAROL]: 'carolpass' },
		});
		postfix = await startPostfix(dovecot);
		await dovecot.seed(ALICE, 'INBOX', [iocReport('there before activation')]);
		n8n = await startN8n({
			credentials: [
				imapCredential(dovecot, { id: credentialId, user: ALICE }),
				{
					id: carolCredentialId,
					name: 'Carol',
					type: 'emailIntelImapApi',
					data: {
						host: dovecot.host,
						port: dovecot.port,
						security: 'starttls',
						caCertificate: dovecot.certPem,
						user: CAROL,
						authMethod: 'password',
						password: dovecot.users[CAROL],
						smtpHost: postfix.host,
						smtpPort: postfix.submissionPort,
						smtpSecurity: 'starttls',
					},
				},
			],
			workflows: [
				{
					id: workflowId,
					name: 'e2e: IMAP events',
					nodes: [
						{
							id: 'ev1',
							name: 'IMAP Events',
							type: packNodeType('emailIntelImapEventsTrigger'),
							typeVersion: 1,
							position: [0, 0],
							parameters: { mailboxes: 'INBOX', options: {} },
							credentials: { emailIntelImapApi: { id: credentialId, name: 'Dovecot' } },
						},
					],
					connections: {},
				},
				{
					id: replyWorkflowId,
					name: 'e2e: auto-reply',
					nodes: [
						{
							id: 'ar1',
							name: 'Reports',
							type: packNodeType('emailIntelImapEventsTrigger'),
							typeVersion: 1,
							position: [0, 0],
							parameters: { mailboxes: 'INBOX', events: ['messageNew'], options: {} },
							credentials: { emailIntelImapApi: { id: carolCredentialId, name: 'Carol' } },
						},
						{
							id: 'ar2',
							name: 'Reply',
							type: packNodeType('emailIntelImap'),
							typeVersion: 1,
							position: [250, 0],
							parameters: {
								resource: 'message',
								operation: 'send',
								sendType: 'reply',
								originalMessage: '={{ $json.locator }}',
								text: 'Thank you, we are looking into it.',
								options: {},
							},
							credentials: { emailIntelImapApi: { id: carolCredentialId, name: 'Carol' } },
						},
					],
					connections: { Reports: { main: [[{ node: 'Reply', type: 'main', index: 0 }]] } },
				},
			],
			publish: [workflowId, replyWorkflowId],
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await postfix?.stop();
		await dovecot?.stop();
	});

	it('a message appended while n8n runs is one execution; what was there before is not an event', async () => {
		// n8n 2.41 activates published workflows after "Editor is now accessible": wait until the
		// trigger says its baseline is taken, or the message would be part of the baseline.
		// Both workflows watch an INBOX (Alice's, Carol's): wait for both lines.
		const watching = 'Email Intel IMAP Events Trigger: watching "INBOX" over IDLE';
		const watchers = () => n8n.logs().split(watching).length - 1;
		for (let i = 0; i < 600 && watchers() < 2; i++)
			await new Promise((resolve) => setTimeout(resolve, 100));
		expect(watchers()).toBe(2);
		const [uid] = await dovecot.seed(ALICE, 'INBOX', [iocReport('arrived while active')]);
		const executions = await n8n.waitForExecutions(workflowId, 1, 60_000);
		expect(executions[0].status).toBe('success');
		const [item] = nodeOutput(executions[0], 'IMAP Events');
		expect(item.json).toMatchObject({
			event: 'messageNew',
			provider: 'imap',
			mailbox: 'INBOX',
			uid,
			subject: 'arrived while active',
			attachments: [{ filename: 'iocs.csv', binaryProperty: 'attachment_0' }],
		});
		expect(item.binary.attachment_0.mimeType).toBe('text/csv');
		expect(events(executions)).toHaveLength(1);
	});

	it('a flag set by another client is one messageUpdated execution', async () => {
		const imap = await RawImap.connect(dovecot.host, dovecot.port);
		try {
			await imap.login(ALICE, dovecot.users[ALICE]);
			await imap.ok(['SELECT INBOX\r\n']);
			await imap.ok(['UID STORE 1 +FLAGS.SILENT ($Phishing)\r\n']);
		} finally {
			await imap.logout().catch(() => imap.destroy());
		}
		const executions = await n8n.waitForExecutions(workflowId, 2, 60_000);
		expect(events(executions).map((json) => json.event)).toEqual(['messageNew', 'messageUpdated']);
		expect(events(executions)[1]).toMatchObject({
			uid: 1,
			flagsAdded: ['$Phishing'],
			flagsRemoved: [],
		});
	});

	it('a message Bob sends through the MTA while n8n runs is one messageNew execution', async () => {
		// Postfix refuses unauthenticated relaying and delivers over LMTP.
		const messageId = `<through-the-mta.${Date.now()}@mail.test>`;
		await sendAsBob(postfix, dovecot, {
			to: ALICE,
			subject: 'delivered through Postfix',
			text: 'Suspicious link: http://evil.example.com/login',
			messageId,
		});
		// Postfix logged the LMTP hand-over into Dovecot (not a bounce or a deferral)
		expect(postfix.log()).toMatch(new RegExp(`to=<${ALICE}>.*relay=.*lmtp.*status=sent`));

		const executions = await n8n.waitForExecutions(workflowId, 3, 60_000);
		expect(executions[2].status).toBe('success');
		const [item] = nodeOutput(executions[2], 'IMAP Events');
		expect(item.json).toMatchObject({
			event: 'messageNew',
			mailbox: 'INBOX',
			uid: 3,
			messageId,
			subject: 'delivered through Postfix',
			from: { name: 'Bob', address: BOB },
			attachments: [{ filename: 'iocs.csv', binaryProperty: 'attachment_0' }],
		});
		// the Received: line Postfix wrote is in the item's headers: it did travel through the MTA
		expect(JSON.stringify(item.json.headers.received)).toContain('mta.mail.test');

		// "once": a later event on the same message is the barrier after which a duplicate of
		// the delivery would have shown up already (executions run in order for one trigger).
		const imap = await RawImap.connect(dovecot.host, dovecot.port);
		try {
			await imap.login(ALICE, dovecot.users[ALICE]);
			await imap.ok(['SELECT INBOX\r\n']);
			await imap.ok(['UID STORE 3 +FLAGS.SILENT (\\Flagged)\r\n']);
		} finally {
			await imap.logout().catch(() => imap.destroy());
		}
		const after = await n8n.waitForExecutions(workflowId, 4, 60_000);
		expect(events(after).at(-1)).toMatchObject({
			event: 'messageUpdated',
			uid: 3,
			flagsAdded: ['\\Flagged'],
		});
		expect(
			events(after).filter((json) => json.event === 'messageNew' && json.messageId === messageId),
		).toHaveLength(1);
	});

	it('a workflow that answers new mail with Email (IMAP) → Send → Reply: the reply arrives through Postfix, threaded', async () => {
		const messageId = `<please-check.${Date.now()}@mail.test>`;
		await sendAsBob(postfix, dovecot, {
			to: CAROL,
			subject: 'Please check this link',
			text: 'http://evil.example.com/login',
			messageId,
		});
		const [run] = await n8n.waitForExecutions(replyWorkflowId, 1, 60_000);
		expect(run.status).toBe('success');
		const [sent] = nodeOutput(run, 'Reply');
		expect(sent.json).toMatchObject({
			accepted: [BOB],
			rejected: [],
			originalFlag: { done: true, flag: '\\Answered' },
			sentCopy: { done: true },
		});

		// Carol's reply went out through Postfix into Bob's INBOX (Bob's only mail), threaded.
		await postfix.waitForEmptyQueue();
		const inBob = await headersIn(dovecot, BOB, 'INBOX');
		expect(inBob).toContain('Subject: Re: Please check this link');
		expect(inBob).toContain(`In-Reply-To: ${messageId}`);
		expect(inBob).toMatch(new RegExp(`References:[^\\n]*${messageId.replace(/[.<>]/g, '\\$&')}`));
		// the original is \Answered, and the sent copy is in Carol's Sent
		expect([...(await dovecot.flags(CAROL, 'INBOX')).values()]).toEqual([['\\Answered']]);
		expect(await headersIn(dovecot, CAROL, 'Sent')).toContain(
			'Subject: Re: Please check this link',
		);
		// one message, one run so far (the \Answered flag is not an event this workflow asked for)
		expect(await n8n.waitForExecutions(replyWorkflowId, 1, 60_000)).toHaveLength(1);
	});
});
