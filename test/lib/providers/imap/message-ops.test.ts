import type { MessageRef } from '../../../../lib/mail/message-ref';
import { findByMessageId } from '../../../../lib/providers/imap/find';
import {
	createMailbox,
	deleteMailbox,
	listMailboxes,
	renameMailbox,
} from '../../../../lib/providers/imap/mailboxes';
import {
	changeFlags,
	copyMessage,
	deleteMessage,
	moveExisting,
	replaceFlags,
} from '../../../../lib/providers/imap/message-ops';
import { ImapSession } from '../../../../lib/providers/imap/session';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { message } from './messages';
import { mailIntelFailure, settingsFor } from './poll-helper';

/** Mailboxes, copy/move/flags/delete and find-by-Message-ID against a real Dovecot. */
let server: DovecotServer;
let session: ImapSession;

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
});
beforeEach(() => {
	session = new ImapSession(settingsFor(server));
});
afterEach(async () => {
	await session.close();
});

const refFor = (mailbox: string, uid: number): MessageRef => ({
	provider: 'imap',
	account: 'alice',
	mailbox,
	id: String(uid),
	uid,
});

test('mailboxes: list with special-use and STATUS counts, create, rename, delete; a server NO is an error', async () => {
	await server.seed('alice', 'Reports', [message(), message(), message()], {
		flags: [['\\Seen'], [], []],
	});
	const list = await listMailboxes(session);
	const reports = list.find((entry) => entry.path === 'Reports');
	expect(reports).toMatchObject({ name: 'Reports', delimiter: '/', messages: 3, unseen: 2 });
	expect(list.find((entry) => entry.path === 'Trash')).toMatchObject({
		specialUse: '\\Trash',
		subscribed: true,
	});

	await expect(createMailbox(session, 'Cases/2026')).resolves.toEqual({
		path: 'Cases/2026',
		created: true,
	});
	await expect(renameMailbox(session, 'Cases/2026', 'Cases/Closed')).resolves.toMatchObject({
		newPath: 'Cases/Closed',
	});
	const paths = (await listMailboxes(session, { counts: false })).map((entry) => entry.path);
	expect(paths).toContain('Cases/Closed');
	expect(paths).not.toContain('Cases/2026');
	await expect(deleteMailbox(session, 'Cases/Closed')).resolves.toEqual({ path: 'Cases/Closed' });

	const gone = await mailIntelFailure(deleteMailbox(session, 'Cases/Closed'));
	expect(gone).toMatchObject({ field: 'path' });
	expect(gone.message).toContain('Cases/Closed');
	const rename = await mailIntelFailure(renameMailbox(session, 'No/Such', 'Other'));
	expect(rename.field).toBe('path');
	expect((await mailIntelFailure(deleteMailbox(session, 'INBOX'))).field).toBe('path');
});

test('copy keeps the original and returns the copy; move and flags (add, remove, set with keywords) act on the server', async () => {
	const [uid] = await server.seed('alice', 'Work', [message({ subject: 'to copy' })]);
	await createMailbox(session, 'Evidence');
	const copy = await copyMessage(session, refFor('Work', uid), 'Evidence');
	expect(copy).toMatchObject({ mailbox: 'Evidence', uid: expect.any(Number) });
	expect([...(await server.flags('alice', 'Work')).keys()]).toEqual([uid]);
	expect([...(await server.flags('alice', 'Evidence')).keys()]).toEqual([copy.uid]);

	await changeFlags(session, refFor('Work', uid), { add: ['\\Flagged', '$Phishing'] });
	expect((await server.flags('alice', 'Work')).get(uid)?.sort()).toEqual([
		'$Phishing',
		'\\Flagged',
	]);
	await changeFlags(session, refFor('Work', uid), { remove: ['\\Flagged'] });
	expect((await server.flags('alice', 'Work')).get(uid)).toEqual(['$Phishing']);
	await replaceFlags(session, refFor('Work', uid), ['\\Seen', '$Reviewed']);
	expect((await server.flags('alice', 'Work')).get(uid)?.sort()).toEqual(['$Reviewed', '\\Seen']);

	const moved = await moveExisting(session, refFor('Work', uid), 'Junk');
	expect(moved.mailbox).toBe('Junk');
	expect((await server.flags('alice', 'Work')).size).toBe(0);
	expect((await server.flags('alice', 'Junk')).get(moved.uid as number)?.sort()).toEqual([
		'$Reviewed',
		'\\Seen',
	]);
});

test('a message that is gone is a 404 naming its UID for move, copy, flags and delete (never a silent success)', async () => {
	const [uid] = await server.seed('alice', 'Gone', [message()]);
	await server.doveadm('expunge', '-u', 'alice', 'mailbox', 'Gone', 'all');
	const ref = refFor('Gone', uid);
	for (const attempt of [
		() => copyMessage(session, ref, 'INBOX'),
		() => moveExisting(session, ref, 'INBOX'),
		() => changeFlags(session, ref, { add: ['\\Seen'] }),
		() => replaceFlags(session, ref, []),
		() => deleteMessage(session, ref),
		() => deleteMessage(session, ref, { permanent: true }),
	]) {
		const error = await mailIntelFailure(attempt());
		expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
		expect(error.message).toContain(`UID ${uid}`);
	}
});

test('delete moves to Trash (SPECIAL-USE), and from Trash (or permanently) expunges only that UID', async () => {
	const uids = await server.seed('alice', 'Del', [message(), message(), message()], {
		flags: [[], ['\\Deleted'], []],
	});
	const trashed = await deleteMessage(session, refFor('Del', uids[0]));
	expect(trashed).toMatchObject({ action: 'trash', trashed: { mailbox: 'Trash' } });
	const removed = await deleteMessage(session, refFor('Trash', trashed.trashed!.uid as number));
	expect(removed).toEqual({ action: 'expunged' });
	expect((await server.flags('alice', 'Trash')).size).toBe(0);
	await deleteMessage(session, refFor('Del', uids[2]), { permanent: true });
	// The other message flagged \Deleted by someone else is still there (UID EXPUNGE).
	expect([...(await server.flags('alice', 'Del')).keys()]).toEqual([uids[1]]);
});

test('find by Message-ID returns every copy across folders, each with its locator', async () => {
	const id = '<shared-copy@example.org>';
	const [uid] = await server.seed('alice', 'INBOX', [
		message({ subject: 'wanted', messageId: id }),
		message({ subject: 'other', messageId: '<shared-copy@example.org.evil>' }),
	]);
	await createMailbox(session, 'Quarantine');
	await copyMessage(session, refFor('INBOX', uid), 'Quarantine');
	await copyMessage(session, refFor('INBOX', uid), 'Junk');
	const found = await findByMessageId(session, 'shared-copy@example.org');
	expect(found.map((entry) => entry.mailbox).sort()).toEqual(['INBOX', 'Junk', 'Quarantine']);
	for (const entry of found) {
		expect(entry).toMatchObject({ subject: 'wanted', messageId: id });
		expect(entry.locator).toMatch(
			/^imap:\/\/alice@127\.0\.0\.1:\d+\/.+;UIDVALIDITY=\d+\/;UID=\d+$/,
		);
	}
	await expect(findByMessageId(session, '<nobody@example.org>')).resolves.toEqual([]);
});

describe('a server without UIDPLUS', () => {
	let old: DovecotServer;
	let oldSession: ImapSession;
	beforeAll(async () => {
		old = await startDovecot({ withoutCapabilities: ['UIDPLUS', 'SPECIAL-USE'] });
	});
	afterAll(async () => {
		await oldSession?.close();
		await old?.stop();
	});

	test('delete refuses the plain EXPUNGE that would remove other \\Deleted mail, and deletes when none is flagged', async () => {
		oldSession = new ImapSession(settingsFor(old));
		const client = await oldSession.client();
		expect(client.capabilities.has('UIDPLUS')).toBe(false);
		const uids = await old.seed('alice', 'INBOX', [message(), message(), message()], {
			flags: [[], ['\\Deleted'], []],
		});
		const refused = await mailIntelFailure(deleteMessage(oldSession, refFor('INBOX', uids[0])));
		expect(refused.code).toBe('UNSAFE_EXPUNGE');
		expect(refused.message).toContain('UIDPLUS');
		// Nothing was removed or flagged.
		const after = await old.flags('alice', 'INBOX');
		expect([...after.keys()]).toEqual(uids);
		expect(after.get(uids[0])).toEqual([]);

		await replaceFlags(oldSession, refFor('INBOX', uids[1]), []);
		await expect(deleteMessage(oldSession, refFor('INBOX', uids[0]))).resolves.toEqual({
			action: 'expunged',
		});
		expect([...(await old.flags('alice', 'INBOX')).keys()]).toEqual([uids[1], uids[2]]);
	});
});
