import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { startRelay } from '../../../imap/relay';
import { settingsFor } from './poll-helper';
import {
	policy,
	readFolder,
	Remediation,
	scanReport,
	suspiciousMessage,
} from './remediation-helper';

/**
 * The same remediation against a Dovecot that announces neither MOVE (RFC 6851) nor UIDPLUS
 * (RFC 4315): a delete is then a plain EXPUNGE of every \Deleted message, and a move is COPY +
 * delete. Nothing may be lost: not the message, and not other mail someone flagged \Deleted.
 */
let server: DovecotServer;
let remediation: Remediation;

beforeAll(async () => {
	server = await startDovecot({ withoutCapabilities: ['MOVE', 'UIDPLUS'] });
	remediation = new Remediation(server, settingsFor(server));
});
afterAll(async () => {
	await remediation?.close();
	await server?.stop();
});

async function seedOne(mailbox: string, flags: string[] = ['\\Seen']) {
	const [uid] = await server.seed('alice', mailbox, [suspiciousMessage()], { flags: [flags] });
	return { uid, locator: await remediation.locator(mailbox, uid) };
}

test('the server really lacks MOVE and UIDPLUS', async () => {
	const client = await remediation.session.client();
	expect(client.capabilities.has('MOVE')).toBe(false);
	expect(client.capabilities.has('UIDPLUS')).toBe(false);
	expect(client.capabilities.has('IDLE')).toBe(true);
});

test('rewrite, quarantine and release work without MOVE and UIDPLUS, one copy at every step', async () => {
	const mailbox = 'Old';
	const { uid, locator } = await seedOne(mailbox);
	const result = await remediation.remediate(
		locator,
		policy({ auditFolder: 'Old-Audit', quarantineFolder: 'Old-Quarantine' }),
		scanReport(),
	);
	expect(result.done).toEqual(
		expect.arrayContaining(['auditCopy', 'deleteAttachment', 'banner', 'headers', 'quarantine']),
	);
	expect(await readFolder(remediation.settings, mailbox)).toHaveLength(0);
	const [held] = await readFolder(remediation.settings, 'Old-Quarantine');
	expect(held.parsed.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
	expect(held.parsed.headers.get('x-attachment-scan')).toBe('malicious');
	expect(await readFolder(remediation.settings, 'Old-Audit')).toHaveLength(1);
	expect(result.after.mailbox).toBe('Old-Quarantine');

	const released = await remediation.release(result.after.locator);
	const back = await readFolder(remediation.settings, mailbox);
	expect(back).toHaveLength(1);
	expect(back[0].uid).not.toBe(uid);
	expect(back[0].parsed.headers.get('x-email-intel-rewrite-of')).toBeDefined();
	expect(await readFolder(remediation.settings, 'Old-Quarantine')).toHaveLength(0);
	expect(released.after.mailbox).toBe(mailbox);
});

test('a rewrite that would need a plain EXPUNGE while other mail is flagged \\Deleted is refused before anything changes', async () => {
	const mailbox = 'Old-Deleted';
	const [other] = await server.seed(
		'alice',
		mailbox,
		[suspiciousMessage('someone else deleted me')],
		{
			flags: [['\\Deleted']],
		},
	);
	const { uid, locator } = await seedOne(mailbox);
	const before = await readFolder(remediation.settings, mailbox);

	await expect(
		remediation.remediate(locator, policy({ auditFolder: 'Old-Deleted-Audit' }), scanReport()),
	).rejects.toMatchObject({ code: 'EXPUNGE_UNSAFE' });
	await expect(
		remediation.remediate(
			locator,
			policy({
				quarantineFolder: 'Old-Deleted-Q',
				deleteAttachments: false,
				banner: false,
				headers: {},
				auditFolder: '',
			}),
		),
	).rejects.toMatchObject({ code: 'EXPUNGE_UNSAFE' });

	const after = await readFolder(remediation.settings, mailbox);
	expect(after.map((m) => [m.uid, m.flags, m.raw])).toEqual(
		before.map((m) => [m.uid, m.flags, m.raw]),
	);
	expect(after.map((m) => m.uid)).toEqual([other, uid]);
	expect(await readFolder(remediation.settings, 'Old-Deleted-Audit')).toHaveLength(0);
	expect(await readFolder(remediation.settings, 'Old-Deleted-Q')).toHaveLength(0);
});

test('a connection cut between APPEND and the delete of the original loses nothing here either; the retry leaves one copy', async () => {
	const mailbox = 'Old-Cut';
	const { uid, locator } = await seedOne(mailbox);
	const relay = await startRelay(server, {
		cutOnClientData: /STORE \d+ \+FLAGS(\.SILENT)? \(\\Deleted\)/,
	});
	const cut = new Remediation(server, settingsFor(server, { port: relay.port }));
	try {
		await expect(
			cut.remediate(
				locator.replace(`:${server.port}/`, `:${relay.port}/`),
				policy({ auditFolder: '' }),
				scanReport(),
			),
		).rejects.toThrow();
		expect(relay.cuts).toBe(1);
	} finally {
		await cut.close().catch(() => undefined);
		await relay.close();
	}
	expect(await readFolder(remediation.settings, mailbox)).toHaveLength(2);
	await remediation.remediate(locator, policy({ auditFolder: '' }), scanReport());
	const after = await readFolder(remediation.settings, mailbox);
	expect(after).toHaveLength(1);
	expect(after[0].uid).not.toBe(uid);
	expect(after[0].parsed.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
});
