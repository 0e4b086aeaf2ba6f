// Sending against real parts: nodemailer submits to a real Postfix (STARTTLS, SASL answered by
// Dovecot's passdb), Postfix delivers into a real Dovecot over LMTP, and what arrived is read
// back from the recipient's mailbox. Flags and the Sent copy are read from the sender's.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

import { simpleParser, type ParsedMail } from 'mailparser';

import { formatLocator } from '../../../lib/mail/locator';
import { ImapSession } from '../../../lib/providers/imap/session';
import type { ImapSettings } from '../../../lib/providers/imap/settings';
import type { ComposeInput } from '../../../lib/smtp/compose';
import { loadReference } from '../../../lib/smtp/reference';
import { sendEmail } from '../../../lib/smtp/send';
import type { SmtpSettings } from '../../../lib/smtp/settings';
import { mailIntelFailure } from '../../helpers/failure';
import { startDovecot, type DovecotServer } from '../../imap/dovecot';
import { startPostfix, type PostfixServer } from '../../mta/postfix';
import { message } from '../providers/imap/messages';

const ALICE = 'alice@mail.test';
const BOB = 'bob@mail.test';
const CAROL = 'carol@mail.test';

let dovecot: DovecotServer;
let postfix: PostfixServer;
const sessions: ImapSession[] = [];

beforeAll(async () => {
	dovecot = await startDovecot({
		mta: true,
		users: { [ALICE]: 'alicepass', [BOB]: 'bobpass', [CAROL]: 'carolpass' },
	});
	postfix = await startPostfix(dovecot);
});
afterAll(async () => {
	for (const session of sessions) await session.close();
	await postfix?.stop();
	await dovecot?.stop();
});

function imapSettings(user: string): ImapSettings {
	return {
		host: dovecot.host,
		port: dovecot.port,
		security: 'starttls',
		caCertificate: dovecot.certPem,
		user,
		auth: { method: 'password', password: dovecot.users[user] },
	};
}

function smtpSettings(user: string, overrides: Partial<SmtpSettings> = {}): SmtpSettings {
	return {
		...imapSettings(user),
		port: postfix.submissionPort,
		security: 'starttls',
		...overrides,
	};
}

function session(user: string): ImapSession {
	const opened = new ImapSession(imapSettings(user));
	sessions.push(opened);
	return opened;
}

function input(overrides: Partial<ComposeInput>): ComposeInput {
	return {
		action: 'send',
		from: { name: 'Alice', address: ALICE },
		to: [],
		cc: [],
		bcc: [],
		subject: '',
		attachments: [],
		self: [ALICE],
		...overrides,
	};
}

/** Every message in a user's mailbox, parsed, once Postfix's queue is empty (delivered). */
async function mailbox(user: string, name = 'INBOX'): Promise<ParsedMail[]> {
	await postfix.waitForEmptyQueue();
	const dir = dovecot.maildir(user, name);
	const files = ['new', 'cur'].flatMap((sub) => {
		const folder = path.join(dir, sub);
		return fs.existsSync(folder)
			? fs.readdirSync(folder).map((file) => path.join(folder, file))
			: [];
	});
	return Promise.all(files.map((file) => simpleParser(fs.readFileSync(file))));
}

function addresses(field: ParsedMail['to']): string[] {
	return (Array.isArray(field) ? field : field ? [field] : []).flatMap((object) =>
		object.value.map((entry) => entry.address ?? ''),
	);
}

async function find(user: string, subject: string, name = 'INBOX'): Promise<ParsedMail> {
	const found = (await mailbox(user, name)).filter((mail) => mail.subject === subject);
	if (found.length !== 1)
		throw new Error(`${user}/${name}: ${found.length} messages "${subject}"\n${postfix.log()}`);
	return found[0];
}

/** The locator a trigger gives Alice's INBOX message `uid`. */
async function inboxLocator(imap: ImapSession, uid: number): Promise<string> {
	const status = await imap.status('INBOX');
	return formatLocator(
		{
			provider: 'imap',
			account: ALICE,
			mailbox: 'INBOX',
			id: `${status.uidValidity}:${uid}`,
			uid,
			uidValidity: status.uidValidity,
		},
		{ host: dovecot.host, port: dovecot.port },
	);
}

test('a plain send arrives in the recipient INBOX with its attachments, streamed, and Bcc stays hidden', async () => {
	const pdf = Buffer.from('%PDF-1.4 quarterly report\n%%EOF\n');
	const csv = Buffer.from('ioc,type\nevil.example,domain\n');
	const result = await sendEmail(
		input({
			to: [`Bob <${BOB}>`],
			bcc: [CAROL],
			subject: 'plain send with attachments',
			text: 'See the attached files.',
			attachments: [
				{
					filename: 'report.pdf',
					contentType: 'application/pdf',
					open: async () => Readable.from([pdf]),
				},
				{ filename: 'iocs.csv', contentType: 'text/csv', open: async () => Readable.from([csv]) },
			],
		}),
		{ smtp: smtpSettings(ALICE), imap: session(ALICE), saveToSent: true, markOriginal: true },
	);
	expect(result.accepted.sort()).toEqual([BOB, CAROL]);
	const received = await find(BOB, 'plain send with attachments');
	expect(received.from?.value[0].address).toBe(ALICE);
	expect(received.text?.trim()).toBe('See the attached files.');
	expect(received.messageId).toBe(result.messageId);
	expect(
		received.attachments.map((a) => [a.filename, a.contentType, a.content.toString()]),
	).toEqual([
		['report.pdf', 'application/pdf', pdf.toString()],
		['iocs.csv', 'text/csv', csv.toString()],
	]);
	// Bcc got it, and nobody can see that it did
	const bccCopy = await find(CAROL, 'plain send with attachments');
	expect(bccCopy.headers.has('bcc')).toBe(false);
	expect(received.headers.has('bcc')).toBe(false);
	// the copy in Alice's Sent, read, exactly once
	expect(result.sentCopy).toMatchObject({ done: true, mailbox: 'Sent' });
	const sent = await find(ALICE, 'plain send with attachments', 'Sent');
	expect(sent.attachments).toHaveLength(2);
	const sentFlags = await dovecot.flags(ALICE, 'Sent');
	expect([...sentFlags.values()].some((flags) => flags.includes('\\Seen'))).toBe(true);
});

test('reply: threaded (In-Reply-To, References, Re: once), the original gets \\Answered, the copy is in Sent', async () => {
	const [uid] = await dovecot.seed(ALICE, 'INBOX', [
		message({
			from: `Bob <${BOB}>`,
			to: `${ALICE}, Carol <${CAROL}>`,
			subject: 'Re: incident 42',
			messageId: '<orig-42@mail.test>',
			text: 'Is the host contained?',
		}).replace('MIME-Version: 1.0', 'References: <root-42@mail.test>\r\nMIME-Version: 1.0'),
	]);
	const imap = session(ALICE);
	const locator = await inboxLocator(imap, uid);
	const reference = await loadReference(imap, locator);
	const result = await sendEmail(
		input({ action: 'replyAll', reference, text: 'Yes, isolated at 10:02.' }),
		{ smtp: smtpSettings(ALICE), imap, saveToSent: true, markOriginal: true },
	);
	// reply-all: Bob (the author) in To, Carol in Cc, Alice (self) nowhere
	expect(result.envelope.to.sort()).toEqual([BOB, CAROL]);
	const received = await find(BOB, 'Re: incident 42');
	expect(received.inReplyTo).toBe('<orig-42@mail.test>');
	expect(received.references).toEqual(['<root-42@mail.test>', '<orig-42@mail.test>']);
	expect(addresses(received.to)).toEqual([BOB]);
	expect(addresses(received.cc)).toEqual([CAROL]);
	expect(received.text).toContain('> Is the host contained?');
	await find(CAROL, 'Re: incident 42');
	expect(result.originalFlag).toEqual({ done: true, flag: '\\Answered' });
	expect((await dovecot.flags(ALICE, 'INBOX')).get(uid)).toContain('\\Answered');
	expect((await find(ALICE, 'Re: incident 42', 'Sent')).inReplyTo).toBe('<orig-42@mail.test>');
});

test('forward carries the original attachment, subject Fwd:, original gets $Forwarded', async () => {
	const evidence = Buffer.from('%PDF-1.4 phishing evidence\n%%EOF\n');
	const [uid] = await dovecot.seed(ALICE, 'INBOX', [
		message({
			from: 'Mallory <mallory@evil.example>',
			to: ALICE,
			subject: 'Invoice overdue',
			messageId: '<phish-1@evil.example>',
			text: 'Pay now.',
			attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', content: evidence }],
		}),
	]);
	const imap = session(ALICE);
	const locator = await inboxLocator(imap, uid);
	const result = await sendEmail(
		input({
			action: 'forward',
			to: [BOB],
			reference: await loadReference(imap, locator),
			text: 'For the SOC.',
		}),
		{ smtp: smtpSettings(ALICE), imap, saveToSent: true, markOriginal: true },
	);
	const received = await find(BOB, 'Fwd: Invoice overdue');
	expect(received.text).toContain('For the SOC.');
	expect(received.text).toContain('From: Mallory <mallory@evil.example>');
	expect(
		received.attachments.map((a) => [a.filename, a.contentType, a.content.toString()]),
	).toEqual([['invoice.pdf', 'application/pdf', evidence.toString()]]);
	expect(received.references).toBe('<phish-1@evil.example>');
	expect(result.originalFlag).toEqual({ done: true, flag: '$Forwarded' });
	expect((await dovecot.flags(ALICE, 'INBOX')).get(uid)).toContain('$Forwarded');
});

test('no Sent copy on Gmail (its IMAP announces X-GM-EXT-1): its SMTP server files sent mail itself', async () => {
	const gmailLike = await startDovecot({
		users: { [ALICE]: 'alicepass' },
		extraCapabilities: ['X-GM-EXT-1'],
	});
	const imap = new ImapSession({
		...imapSettings(ALICE),
		port: gmailLike.port,
		caCertificate: gmailLike.certPem,
	});
	try {
		const result = await sendEmail(input({ to: [BOB], subject: 'via gmail', text: 'x' }), {
			smtp: smtpSettings(ALICE),
			imap,
			saveToSent: true,
			markOriginal: true,
		});
		expect(result.sentCopy).toEqual({ done: false, skipped: 'Gmail files sent mail itself' });
		expect(await gmailLike.flags(ALICE, 'Sent')).toEqual(new Map());
		await find(BOB, 'via gmail');
	} finally {
		await imap.close();
		await gmailLike.stop();
	}
});

test('without a Sent copy the message is streamed into SMTP, and the size cap stops it mid-way: nothing is delivered', async () => {
	let produced = 0;
	const endless = function* () {
		for (;;) {
			produced += 64 * 1024;
			yield Buffer.alloc(64 * 1024, 1);
		}
	};
	const failure = await mailIntelFailure(
		sendEmail(
			input({
				to: [BOB],
				subject: 'too big',
				text: 'x',
				attachments: [{ filename: 'big.bin', open: async () => Readable.from(endless()) }],
			}),
			{
				smtp: smtpSettings(ALICE),
				saveToSent: false,
				markOriginal: false,
				maxMessageBytes: 1024 * 1024,
			},
		),
	);
	expect(failure).toMatchObject({ code: 'MESSAGE_TOO_LARGE', field: 'attachments' });
	expect(produced).toBeLessThan(8 * 1024 * 1024);
	expect((await mailbox(BOB)).some((mail) => mail.subject === 'too big')).toBe(false);
	// and a streamed message that fits arrives whole
	const file = Buffer.alloc(3 * 1024 * 1024, 'abc');
	await sendEmail(
		input({
			to: [BOB],
			subject: 'streamed',
			text: 'x',
			attachments: [{ filename: 'file.bin', open: async () => Readable.from([file]) }],
		}),
		{ smtp: smtpSettings(ALICE), saveToSent: false, markOriginal: false },
	);
	expect((await find(BOB, 'streamed')).attachments[0].content.equals(file)).toBe(true);
});

test('a wrong SMTP password is refused by the server and the error names the password field', async () => {
	const failure = await mailIntelFailure(
		sendEmail(input({ to: [BOB], subject: 'never sent', text: 'x' }), {
			smtp: smtpSettings(ALICE, { auth: { method: 'password', password: 'wrong' } }),
			saveToSent: false,
			markOriginal: false,
		}),
	);
	expect(failure).toMatchObject({ source: 'smtp', code: 'AUTH_FAILED', field: 'smtpPassword' });
	expect(failure.message).toContain('535');
	expect((await mailbox(BOB)).some((mail) => mail.subject === 'never sent')).toBe(false);
});

test('security None with a password is refused before connecting, unless the cleartext switch is on', async () => {
	const plain = smtpSettings(ALICE, { port: postfix.plainPort, security: 'none' });
	// Postfix logs every SMTP client it accepts as "connect from <host>[<ip>]"
	const connections = () =>
		postfix
			.log()
			.split('\n')
			.filter((line) => line.includes(' connect from ')).length;
	await postfix.waitForEmptyQueue();
	const before = connections();
	const failure = await mailIntelFailure(
		sendEmail(input({ to: [BOB], subject: 'cleartext', text: 'x' }), {
			smtp: plain,
			saveToSent: false,
			markOriginal: false,
		}),
	);
	expect(failure).toMatchObject({
		source: 'smtp',
		code: 'CLEARTEXT_LOGIN_REFUSED',
		field: 'smtpSecurity',
	});
	expect(failure.hint).toContain('Allow Cleartext Password (Insecure)');
	await sendEmail(input({ to: [BOB], subject: 'cleartext allowed', text: 'x' }), {
		smtp: { ...plain, allowCleartextLogin: true },
		saveToSent: false,
		markOriginal: false,
	});
	await find(BOB, 'cleartext allowed');
	// the refused attempt never opened a connection; the allowed one did (the count works)
	expect(connections()).toBe(before + 1);
});

test('STARTTLS required: a server port that does not offer it is refused, naming the security option', async () => {
	const failure = await mailIntelFailure(
		sendEmail(input({ to: [BOB], subject: 'no tls', text: 'x' }), {
			smtp: smtpSettings(ALICE, { port: postfix.plainPort }),
			saveToSent: false,
			markOriginal: false,
		}),
	);
	expect(failure).toMatchObject({ source: 'smtp', field: 'smtpSecurity' });
});

test('a server certificate no configured CA signed is refused, naming the CA field', async () => {
	const failure = await mailIntelFailure(
		sendEmail(input({ to: [BOB], subject: 'untrusted', text: 'x' }), {
			smtp: smtpSettings(ALICE, { caCertificate: undefined }),
			saveToSent: false,
			markOriginal: false,
		}),
	);
	expect(failure).toMatchObject({ source: 'smtp', code: 'TLS_UNTRUSTED', field: 'caCertificate' });
});

test('implicit TLS (port 465 style) sends too', async () => {
	await sendEmail(input({ to: [BOB], subject: 'over implicit tls', text: 'x' }), {
		smtp: smtpSettings(ALICE, { port: postfix.smtpsPort, security: 'tls' }),
		saveToSent: false,
		markOriginal: false,
	});
	await find(BOB, 'over implicit tls');
});
