import { parseLocator } from '../../../../lib/mail/locator';
import { listMessages } from '../../../../lib/providers/imap/listing';
import { ImapSession } from '../../../../lib/providers/imap/session';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { message } from './messages';
import { mailIntelFailure, settingsFor } from './poll-helper';

/** Message: List against a real Dovecot: paging newest first from a UID snapshot, search, light entries. */
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

const subjects = (page: { messages: Array<{ subject: string }> }) =>
	page.messages.map((entry) => entry.subject);

test('pages newest first with page, pages and total; entries are light and addressable', async () => {
	const uids = await server.seed(
		'alice',
		'Paged',
		Array.from({ length: 7 }, (_, i) =>
			message({
				subject: `paged ${i}`,
				from: 'Eve Sender <eve@example.org>',
				to: 'Alice <alice@example.com>, bob@example.com',
				messageId: `<paged-${i}@example.org>`,
				date: new Date(Date.UTC(2026, 10, 20, 9, i)),
				attachments:
					i === 3
						? [{ filename: 'a.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF') }]
						: undefined,
			}),
		),
		{ flags: Array.from({ length: 7 }, (_, i) => (i === 6 ? ['\\Seen', '$Phishing'] : [])) },
	);
	const first = await listMessages(session, 'Paged', { page: 0, pageSize: 3 });
	expect(first).toMatchObject({ page: 0, pageSize: 3, pages: 3, total: 7, snapshot: uids[6] });
	expect(subjects(first)).toEqual(['paged 6', 'paged 5', 'paged 4']);
	const newest = first.messages[0];
	expect(newest).toMatchObject({
		provider: 'imap',
		mailbox: 'Paged',
		uid: uids[6],
		date: '2026-11-20T09:06:00Z',
		subject: 'paged 6',
		from: { name: 'Eve Sender', address: 'eve@example.org' },
		to: [
			{ name: 'Alice', address: 'alice@example.com' },
			{ name: '', address: 'bob@example.com' },
		],
		messageId: '<paged-6@example.org>',
		hasAttachments: false,
	});
	expect(newest.flags.sort()).toEqual(['$Phishing', '\\Seen']);
	expect(newest.size).toBeGreaterThan(0);
	expect(parseLocator(newest.locator)).toMatchObject({ mailbox: 'Paged', uid: uids[6] });
	expect(newest.id).toBe(`${newest.uidValidity}:${uids[6]}`);

	const second = await listMessages(session, 'Paged', { page: 1, pageSize: 3 });
	expect(subjects(second)).toEqual(['paged 3', 'paged 2', 'paged 1']);
	expect(second.messages[0].hasAttachments).toBe(true);
	const last = await listMessages(session, 'Paged', { page: 2, pageSize: 3 });
	expect(subjects(last)).toEqual(['paged 0']);
	expect((await listMessages(session, 'Paged', { page: 3, pageSize: 3 })).messages).toEqual([]);
});

test('mail arriving between pages neither repeats nor skips an entry when the snapshot is passed back', async () => {
	await server.seed(
		'alice',
		'Arrivals',
		Array.from({ length: 10 }, (_, i) => message({ subject: `old ${i}` })),
	);
	const seen: string[] = [];
	const first = await listMessages(session, 'Arrivals', { page: 0, pageSize: 4 });
	seen.push(...subjects(first));
	for (let page = 1; page < first.pages; page++) {
		// Three new messages land before each further page.
		await server.seed(
			'alice',
			'Arrivals',
			Array.from({ length: 3 }, (_, i) => message({ subject: `new ${page}.${i}` })),
		);
		const next = await listMessages(session, 'Arrivals', {
			page,
			pageSize: 4,
			snapshot: first.snapshot,
		});
		expect(next).toMatchObject({ total: 10, pages: 3, snapshot: first.snapshot });
		seen.push(...subjects(next));
	}
	expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `old ${9 - i}`));
	// Without the snapshot the same page shifts: that is what the snapshot is for.
	const fresh = await listMessages(session, 'Arrivals', { page: 1, pageSize: 4 });
	expect(fresh.total).toBe(16);
	expect(subjects(fresh)).not.toEqual(seen.slice(4, 8));
});

test('search: from, subject, unseen, flagged, header, Message-ID, dates and text narrow the listing', async () => {
	await server.seed(
		'alice',
		'Search',
		[
			message({ subject: 'invoice overdue', from: 'billing@bad.example', messageId: '<s1@x>' }),
			message({
				subject: 'lunch',
				from: 'friend@good.example',
				messageId: '<s2@x>',
				text: 'pizza tonight',
			}),
			message({ subject: 'invoice paid', from: 'billing@good.example', messageId: '<s3@x>' }),
			'X-Spam-Flag: YES\r\nSubject: spam\r\nMessage-ID: <s4@x>\r\n\r\nbuy\r\n',
		],
		{
			flags: [[], ['\\Seen'], ['\\Seen', '\\Flagged'], []],
			internalDates: [
				new Date('2026-01-10T12:00:00Z'),
				new Date('2026-02-10T12:00:00Z'),
				new Date('2026-03-10T12:00:00Z'),
				new Date('2026-04-10T12:00:00Z'),
			],
		},
	);
	const list = async (search: Parameters<typeof listMessages>[2]['search']) =>
		subjects(await listMessages(session, 'Search', { page: 0, pageSize: 10, search }));
	expect(await list({ subject: 'invoice' })).toEqual(['invoice paid', 'invoice overdue']);
	expect(await list({ from: 'billing@bad.example' })).toEqual(['invoice overdue']);
	expect(await list({ unseen: true })).toEqual(['spam', 'invoice overdue']);
	expect(await list({ flagged: true })).toEqual(['invoice paid']);
	expect(await list({ headers: { 'X-Spam-Flag': 'YES' } })).toEqual(['spam']);
	expect(await list({ messageId: 's2@x' })).toEqual(['lunch']);
	expect(await list({ text: 'pizza' })).toEqual(['lunch']);
	expect(
		await list({
			since: new Date('2026-02-01T00:00:00Z'),
			before: new Date('2026-04-01T00:00:00Z'),
		}),
	).toEqual(['invoice paid', 'lunch']);
	const page = await listMessages(session, 'Search', {
		page: 0,
		pageSize: 1,
		search: { subject: 'invoice' },
	});
	expect(page).toMatchObject({ total: 2, pages: 2 });
});

test('Gmail search on a server without X-GM-EXT-1 is refused naming the field; bad paging names its field', async () => {
	await server.seed('alice', 'INBOX', [message()]);
	const gmail = await mailIntelFailure(
		listMessages(session, 'INBOX', {
			page: 0,
			pageSize: 5,
			search: { gmailRaw: 'has:attachment' },
		}),
	);
	expect(gmail).toMatchObject({ code: 'NOT_SUPPORTED', field: 'gmailRaw' });
	const size = await mailIntelFailure(listMessages(session, 'INBOX', { page: 0, pageSize: 0 }));
	expect(size.field).toBe('pageSize');
	const missing = await mailIntelFailure(
		listMessages(session, 'No/Such', { page: 0, pageSize: 5 }),
	);
	expect(missing.code).toBe('MAILBOX_NOT_FOUND');
});

test('an empty mailbox lists nothing: total 0, pages 0', async () => {
	await server.seed('alice', 'Empty', [message()]);
	await server.doveadm('expunge', '-u', 'alice', 'mailbox', 'Empty', 'all');
	await expect(listMessages(session, 'Empty', { page: 0, pageSize: 5 })).resolves.toMatchObject({
		total: 0,
		pages: 0,
		messages: [],
	});
});
