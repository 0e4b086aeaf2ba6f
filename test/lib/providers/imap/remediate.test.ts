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
 * The IMAP rewrite against a real Dovecot: what a user finds in the mailbox afterwards, after a
 * second run, after a connection cut between APPEND and EXPUNGE.
 */
let server: DovecotServer;
let remediation: Remediation;
const SEEDED_AT = new Date('2026-11-20T08:15:00Z');

beforeAll(async () => {
	server = await startDovecot();
	remediation = new Remediation(server, settingsFor(server));
});
afterAll(async () => {
	await remediation?.close();
	await server?.stop();
});

async function seedOne(mailbox: string, subject?: string, exeName?: string) {
	const [uid] = await server.seed('alice', mailbox, [suspiciousMessage(subject, exeName)], {
		internalDates: [SEEDED_AT],
		flags: [['\\Seen', '\\Flagged', '$Important']],
	});
	return { uid, locator: await remediation.locator(mailbox, uid) };
}

test('removes the malicious attachment, adds the banner and the X-header, keeps flags and INTERNALDATE, deletes the original, keeps an audit copy', async () => {
	const mailbox = 'Rewrite';
	const { uid, locator } = await seedOne(mailbox);
	const [original] = await readFolder(remediation.settings, mailbox);

	const result = await remediation.remediate(
		locator,
		policy({ auditFolder: 'Audit-Rewrite' }),
		scanReport(),
	);

	const folder = await readFolder(remediation.settings, mailbox);
	expect(folder).toHaveLength(1); // exactly one copy: the original is gone
	const [rewritten] = folder;
	expect(rewritten.uid).not.toBe(uid);
	expect(rewritten.parsed.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
	expect(rewritten.parsed.html).toContain('data-email-intel-banner="1"');
	expect(rewritten.parsed.html).toContain('<code>invoice.exe</code>');
	expect(rewritten.parsed.html).toContain('<p>Please pay the attached invoice.</p>');
	expect(rewritten.parsed.text).toMatch(/^\[Security Notice\] An attachment was removed/);
	expect(rewritten.parsed.text).toContain('Please pay the attached invoice.');
	expect(rewritten.parsed.headers.get('x-attachment-scan')).toBe('malicious');
	// where invoice.exe was, a small text part names it
	expect(rewritten.raw).toContain('Content-Description: Email Intel: attachment removed');
	expect(rewritten.raw).toContain(
		Buffer.from('This attachment was removed for security review: invoice.exe')
			.toString('base64')
			.slice(0, 60),
	);
	expect(rewritten.parsed.text).not.toContain('MZ this would be the malware');
	expect(rewritten.raw).not.toContain(
		Buffer.from('MZ this would be the malware').toString('base64'),
	);
	// original headers kept
	expect(rewritten.parsed.messageId).toBe(original.parsed.messageId);
	expect(rewritten.parsed.subject).toBe('Quarterly invoice');
	expect(rewritten.flags).toEqual(original.flags);
	expect(rewritten.flags).toEqual(['$Important', '\\Flagged', '\\Seen']);
	expect(rewritten.internalDate.getTime()).toBe(SEEDED_AT.getTime());

	const audit = await readFolder(remediation.settings, 'Audit-Rewrite');
	expect(audit).toHaveLength(1);
	expect(audit[0].raw).toBe(original.raw); // the untouched original

	expect(result.changed).toBe(true);
	expect(result.done).toEqual(
		expect.arrayContaining(['auditCopy', 'deleteAttachment', 'banner', 'textBanner', 'headers']),
	);
	expect(result.removedAttachments).toEqual([
		{
			id: '3',
			filename: 'invoice.exe',
			contentType: 'application/octet-stream',
			reason: 'malicious',
			threatType: 'Eicar-Test-Signature',
		},
	]);
	expect(result.before.locator).toBe(locator);
	expect(result.after.locator).toMatch(new RegExp(`;UID=${rewritten.uid}$`));
	expect(result.audit?.mailbox).toBe('Audit-Rewrite');
	expect(result.audit?.locator).toMatch(/Audit-Rewrite;UIDVALIDITY=\d+\/;UID=1$/);
});

test('the same policy applied twice changes nothing the second time (by the new locator and by the old one)', async () => {
	const mailbox = 'Twice';
	const { locator } = await seedOne(mailbox);
	const chosen = policy({
		subjectTag: '[Suspicious]',
		auditFolder: 'Audit-Twice',
		categories: ['$Phishing'],
	});
	const first = await remediation.remediate(locator, chosen, scanReport());
	const afterFirst = await readFolder(remediation.settings, mailbox);

	const second = await remediation.remediate(first.after.locator, chosen, scanReport());
	const retried = await remediation.remediate(locator, chosen, scanReport());

	const afterSecond = await readFolder(remediation.settings, mailbox);
	expect(afterSecond).toHaveLength(1);
	expect(afterSecond[0].uid).toBe(afterFirst[0].uid);
	expect(afterSecond[0].raw).toBe(afterFirst[0].raw);
	expect(afterSecond[0].flags).toEqual(afterFirst[0].flags);
	expect(afterSecond[0].flags).toContain('$Phishing');
	expect(afterSecond[0].parsed.subject).toBe('[Suspicious] Quarterly invoice');
	expect(afterSecond[0].raw.match(/data-email-intel-banner/g)).toHaveLength(1);
	expect(await readFolder(remediation.settings, 'Audit-Twice')).toHaveLength(1);
	for (const again of [second, retried]) {
		expect(again.changed).toBe(false);
		expect(again.done).toEqual([]);
		expect(again.after.locator).toBe(first.after.locator);
		expect(again.alreadyDone).toEqual(
			expect.arrayContaining(['deleteAttachment', 'banner', 'subjectTag', 'headers', 'categories']),
		);
	}
});

test('a subject or file name carrying HTML cannot break out of the banner', async () => {
	const mailbox = 'Injection';
	const evil = '</div><script>alert(1)</script><div>';
	const exe = 'x</div><script>steal()</script>.exe';
	const { locator } = await seedOne(mailbox, evil, exe);
	const chosen = policy({
		bannerHtml: '<div class="notice">Subject: {{subject}} {{removedFiles}} ({{verdict}})</div>',
	});
	await remediation.remediate(locator, chosen, scanReport(exe));
	const [rewritten] = await readFolder(remediation.settings, mailbox);
	const htmlBody = rewritten.parsed.html as string;
	expect(htmlBody).not.toContain('<script>');
	expect(htmlBody).toContain(
		'Subject: &lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;div&gt;',
	);
	// the banner's own markup is intact: its wrapper closes after the escaped text, once
	const banner = htmlBody.slice(htmlBody.indexOf('<div data-email-intel-banner'));
	expect(
		banner.startsWith('<div data-email-intel-banner="1"><div class="notice">Subject: &lt;/div&gt;'),
	).toBe(true);
	expect(rewritten.parsed.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
});

test('a connection cut between APPEND and the delete of the original loses nothing; the retry leaves one copy', async () => {
	const mailbox = 'Cut';
	const { uid, locator } = await seedOne(mailbox);
	const relay = await startRelay(server, {
		cutOnClientData: /STORE \d+ \+FLAGS(\.SILENT)? \(\\Deleted\)/,
	});
	const cut = new Remediation(server, settingsFor(server, { port: relay.port }));
	// the locator names the relay's port: the same server, reached through it
	const viaRelay = locator.replace(`:${server.port}/`, `:${relay.port}/`);
	try {
		await expect(
			cut.remediate(viaRelay, policy({ auditFolder: 'Audit-Cut' }), scanReport()),
		).rejects.toThrow();
		expect(relay.cuts).toBe(1);
	} finally {
		await cut.close().catch(() => undefined);
		await relay.close();
	}
	// Both copies are there: the original and its rewrite, nothing lost.
	const between = await readFolder(remediation.settings, mailbox);
	expect(between.map((m) => m.uid)).toContain(uid);
	expect(between).toHaveLength(2);

	const retried = await remediation.remediate(
		locator,
		policy({ auditFolder: 'Audit-Cut' }),
		scanReport(),
	);
	const after = await readFolder(remediation.settings, mailbox);
	expect(after).toHaveLength(1);
	expect(after[0].uid).not.toBe(uid);
	expect(after[0].parsed.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
	expect(retried.notes.join(' ')).toMatch(/interrupted earlier run/);
	expect(await readFolder(remediation.settings, 'Audit-Cut')).toHaveLength(1);
});

test('quarantine moves the message to a folder created on demand; release moves it back to where it was', async () => {
	const mailbox = 'Quarantine-Origin';
	const { locator } = await seedOne(mailbox);
	const quarantined = await remediation.remediate(
		locator,
		policy({
			quarantineFolder: 'Quarantine',
			deleteAttachments: false,
			banner: false,
			headers: {},
			auditFolder: '',
		}),
		scanReport(),
	);
	expect(quarantined.done).toEqual(['quarantine']);
	expect(quarantined.after.mailbox).toBe('Quarantine');
	expect(await readFolder(remediation.settings, mailbox)).toHaveLength(0);
	const [held] = await readFolder(remediation.settings, 'Quarantine');
	expect(held.flags).toContain('$EmailIntelQuarantine');

	const released = await remediation.release(quarantined.after.locator);
	expect(released.after.mailbox).toBe(mailbox);
	expect(await readFolder(remediation.settings, 'Quarantine')).toHaveLength(0);
	const [back] = await readFolder(remediation.settings, mailbox);
	expect(back.flags).toEqual(['$Important', '\\Flagged', '\\Seen']);
	expect(released.after.locator).toMatch(new RegExp(`;UID=${back.uid}$`));
	await expect(remediation.release(released.after.locator)).rejects.toMatchObject({
		code: 'NOT_QUARANTINED',
	});
});

test('a server NO is an error naming what failed, and nothing is lost', async () => {
	const mailbox = 'Refused';
	const { uid, locator } = await seedOne(mailbox);
	const before = await readFolder(remediation.settings, mailbox);
	// Dovecot answers NO to CREATE of a name longer than it stores
	const tooLong = `Q${'x'.repeat(400)}`;
	await expect(
		remediation.remediate(locator, policy({ quarantineFolder: tooLong }), scanReport()),
	).rejects.toMatchObject({ code: 'CREATE_FAILED', message: expect.stringContaining(tooLong) });
	const after = await readFolder(remediation.settings, mailbox);
	expect(after.map((m) => [m.uid, m.raw])).toEqual(before.map((m) => [m.uid, m.raw]));
	expect(after[0].uid).toBe(uid);
});

test("a quarantine folder given as a special use (\\Junk) is the server's folder of that use", async () => {
	const mailbox = 'Special-Use';
	const { locator } = await seedOne(mailbox);
	const result = await remediation.remediate(
		locator,
		policy({
			quarantineFolder: '\\Junk',
			deleteAttachments: false,
			banner: false,
			headers: {},
			auditFolder: '',
		}),
	);
	expect(result.after.mailbox).toBe('Junk');
	expect(await readFolder(remediation.settings, 'Junk')).toHaveLength(1);
	expect(await readFolder(remediation.settings, mailbox)).toHaveLength(0);
});

test('a connection cut after the audit copy and before the APPEND: the retry makes no second audit copy', async () => {
	const mailbox = 'Cut-Audit';
	const { locator } = await seedOne(mailbox);
	const relay = await startRelay(server, { cutOnClientData: /APPEND "?Cut-Audit/ });
	const cut = new Remediation(server, settingsFor(server, { port: relay.port }));
	try {
		await expect(
			cut.remediate(
				locator.replace(`:${server.port}/`, `:${relay.port}/`),
				policy({ auditFolder: 'Audit-Cut-2' }),
				scanReport(),
			),
		).rejects.toThrow();
		expect(relay.cuts).toBe(1);
	} finally {
		await cut.close().catch(() => undefined);
		await relay.close();
	}
	expect(await readFolder(remediation.settings, 'Audit-Cut-2')).toHaveLength(1);
	expect(await readFolder(remediation.settings, mailbox)).toHaveLength(1); // only the original

	const retried = await remediation.remediate(
		locator,
		policy({ auditFolder: 'Audit-Cut-2' }),
		scanReport(),
	);
	expect(retried.notes.join(' ')).toMatch(/no second copy/);
	expect(await readFolder(remediation.settings, 'Audit-Cut-2')).toHaveLength(1);
	const [rewritten] = await readFolder(remediation.settings, mailbox);
	expect(rewritten.parsed.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
	expect(rewritten.flags).toEqual(['$Important', '\\Flagged', '\\Seen']); // the marker stays with the original
});
