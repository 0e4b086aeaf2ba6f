import { createHash } from 'node:crypto';

import { fetchMessage } from '../../../../lib/providers/imap/actions';
import { bytesForChars, fetchMessageCapped } from '../../../../lib/providers/imap/capped-fetch';
import { bufferSink } from '../../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import type { MessageRef } from '../../../../lib/mail/message-ref';
import { ImapSession } from '../../../../lib/providers/imap/session';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { imapCommandLog, settingsFor } from './poll-helper';

/** Message: Get's partial text download against a real Dovecot, checked against a whole download. */
let server: DovecotServer;

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
});

const MAX_TEXT = 2000;
const policy = { ...DEFAULT_POLICY, maxTextChars: MAX_TEXT };
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3 * 1024 * 1024, 0x41)]);

/** multipart/mixed { multipart/alternative { big base64 text, big QP html }, PDF }. */
function bigMessage(): string {
	const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i}: ünïcödé text of the report`);
	const text = Buffer.from(lines.join('\r\n'), 'utf8')
		.toString('base64')
		.replace(/.{76}/g, '$&\r\n');
	const html = lines
		.slice(0, 40_000)
		.map(
			(line) =>
				`<p>${line.replace(/ü/g, '=C3=BC').replace(/ï/g, '=C3=AF').replace(/ö/g, '=C3=B6').replace(/é/g, '=C3=A9')}</p>`,
		)
		.join('\r\n');
	return [
		'From: Reporter <r@example.org>',
		'To: soc@example.com',
		'Subject: huge report',
		'Message-ID: <huge-text@example.org>',
		'Date: Tue, 01 Dec 2026 05:00:00 +0000',
		'MIME-Version: 1.0',
		'Content-Type: multipart/mixed; boundary="outer"',
		'',
		'preamble',
		'--outer',
		'Content-Type: multipart/alternative; boundary="inner"',
		'',
		'--inner',
		'Content-Type: text/plain; charset=utf-8',
		'Content-Transfer-Encoding: base64',
		'',
		text,
		'--inner',
		'Content-Type: text/html; charset=utf-8',
		'Content-Transfer-Encoding: quoted-printable',
		'',
		html,
		'--inner--',
		'--outer',
		'Content-Type: application/pdf; name="report.pdf"',
		'Content-Disposition: attachment; filename="report.pdf"',
		'Content-Transfer-Encoding: base64',
		'',
		PDF.toString('base64').replace(/.{76}/g, '$&\r\n'),
		'--outer--',
		'',
	].join('\r\n');
}

test('a body text far beyond Max Text Length is fetched in part, and the item equals the one from a whole download', async () => {
	const [uid] = await server.seed('alice', 'Big', [bigMessage()]);
	const { lines, logger } = imapCommandLog();
	const session = new ImapSession(settingsFor(server), { logger });
	try {
		const client = await session.client();
		const status = await client.status('Big', { uidValidity: true });
		const uidValidity = String(status && status.uidValidity);
		const ref: MessageRef = {
			provider: 'imap',
			account: 'alice',
			mailbox: 'Big',
			id: `${uidValidity}:${uid}`,
			uid,
			uidValidity,
		};
		lines.length = 0;
		const capped = await fetchMessageCapped(session, ref, policy, bufferSink);
		const commands = [...lines];
		const whole = await fetchMessage(session, ref, policy, bufferSink);

		// The texts were cut on the server side: partial FETCHes of parts 1.1 and 1.2, never the whole message.
		const limit = bytesForChars(MAX_TEXT);
		expect(commands.some((line) => line.includes(`BODY.PEEK[1.1]<0.${limit}>`))).toBe(true);
		expect(commands.some((line) => line.includes(`BODY.PEEK[1.2]<0.${limit}>`))).toBe(true);
		expect(commands.some((line) => /BODY\.PEEK\[\]/.test(line))).toBe(false);

		expect(capped.email.textTruncated).toBe(true);
		expect(capped.email.text).toHaveLength(MAX_TEXT);
		expect(capped.email.text).toBe(whole.email.text);
		expect(capped.email.html).toBe(whole.email.html);
		expect(capped.email.text).toContain('line 0: ünïcödé text');
		// Everything else alike; the partial path also knows the server's flags and received time.
		const { flags: _flags, receivedAt, ...cappedRest } = capped.email;
		const { flags: _wholeFlags, receivedAt: _none, ...wholeRest } = whole.email;
		expect(cappedRest).toEqual(wholeRest);
		expect(receivedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
		const sha = (content: Buffer) => createHash('sha256').update(content).digest('hex');
		expect(capped.attachments.map((a) => sha(a.stored.data))).toEqual([sha(PDF)]);
		expect(capped.email.attachments[0]).toMatchObject({ filename: 'report.pdf', sha256: sha(PDF) });
	} finally {
		await session.close();
	}
});

test('a message whose text fits takes the ordinary whole download', async () => {
	const [uid] = await server.seed('alice', 'Small', [
		'Subject: short\r\nMessage-ID: <short@x>\r\nContent-Type: text/plain\r\n\r\nhello\r\n',
	]);
	const { lines, logger } = imapCommandLog();
	const session = new ImapSession(settingsFor(server), { logger });
	try {
		const parsed = await fetchMessageCapped(
			session,
			{ provider: 'imap', account: 'alice', mailbox: 'Small', id: String(uid), uid },
			policy,
			bufferSink,
		);
		expect(parsed.email).toMatchObject({ subject: 'short', text: 'hello\n', textTruncated: false });
		expect(lines.some((line) => /BODY\.PEEK\[\]/.test(line))).toBe(true);
	} finally {
		await session.close();
	}
});

test('a single-part text message is cut the same way (BODY.PEEK[TEXT]<0.N>)', async () => {
	const body = Array.from({ length: 100_000 }, (_, i) => `plain line ${i}`).join('\r\n');
	const [uid] = await server.seed('alice', 'Plain', [
		`Subject: plain\r\nMessage-ID: <plain@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
	]);
	const { lines, logger } = imapCommandLog();
	const session = new ImapSession(settingsFor(server), { logger });
	try {
		const parsed = await fetchMessageCapped(
			session,
			{ provider: 'imap', account: 'alice', mailbox: 'Plain', id: String(uid), uid },
			policy,
			bufferSink,
		);
		expect(
			lines.some((line) => line.includes(`BODY.PEEK[TEXT]<0.${bytesForChars(MAX_TEXT)}>`)),
		).toBe(true);
		expect(parsed.email).toMatchObject({ subject: 'plain', textTruncated: true });
		expect(parsed.email.text).toBe(body.replace(/\r\n/g, '\n').slice(0, MAX_TEXT));
	} finally {
		await session.close();
	}
});
