import { EmailIntelImapEventsTrigger } from '../../../nodes/EmailIntelImapEventsTrigger/EmailIntelImapEventsTrigger.node';
import { startDovecot, type DovecotServer } from '../../imap/dovecot';
import { dovecotCredential } from '../../imap/credentials';
import { shutdownN8nCore } from '../../helpers/n8n/execute';
import { startLongLivedHarness, type LongLivedHarness } from '../../helpers/n8n/long-lived-trigger';
import {
	deleteMessages,
	eventually,
	storeFlags,
} from '../../lib/providers/imap/events/other-client';
import { message } from '../../lib/providers/imap/messages';

/**
 * The events trigger inside n8n-core's real TriggerContext, activated, failed and re-activated the
 * way n8n 2.41.1 does it (test/helpers/n8n/long-lived-trigger.ts), against a real Dovecot.
 */
let server: DovecotServer;
let harness: LongLivedHarness | undefined;
let counter = 0;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
	shutdownN8nCore(); // TriggerContext's SSH helpers started n8n-core's janitor interval
});
afterEach(async () => {
	await harness?.deactivate();
	harness = undefined;
});

const credentials = (overrides: Record<string, unknown> = {}) => ({
	emailIntelImapApi: dovecotCredential(server, overrides),
});

function start(mailboxes: string, extra: Record<string, unknown> = {}, creds = credentials()) {
	harness = startLongLivedHarness(new EmailIntelImapEventsTrigger(), {
		parameters: { mailboxes, ...extra },
		credentials: creds,
		reactivateAfterMs: 200,
	});
	return harness;
}

const items = (h: LongLivedHarness) =>
	h.executions.flat().map((item) => item.json as Record<string, unknown>);

async function newMailbox(count: number): Promise<{ mailbox: string; uids: number[] }> {
	const mailbox = `Events${++counter}`;
	const uids = await server.seed(
		'alice',
		mailbox,
		Array.from({ length: count }, (_, i) => message({ subject: `already there ${i + 1}` })),
	);
	return { mailbox, uids };
}

/** Appends a last message and waits for its item: everything before it has been emitted by then. */
async function settle(h: LongLivedHarness, mailbox: string, subject: string): Promise<void> {
	await server.seed('alice', mailbox, [message({ subject })]);
	await eventually(() => items(h).some((json) => json.subject === subject), subject);
}

async function imapSessions(): Promise<number> {
	const out = await server.doveadm('who', '-1', 'alice');
	return out.split('\n').filter((line) => /\bimap\b/.test(line)).length;
}

test('new mail, a flag change and a deletion by another client: one item each, state stored before', async () => {
	const { mailbox, uids } = await newMailbox(2);
	const h = start(mailbox);
	await h.activate();

	const [arrived] = await server.seed('alice', mailbox, [
		message({
			subject: 'report with pdf',
			attachments: [{ filename: 'ioc.pdf', contentType: 'application/pdf', content: PDF }],
		}),
	]);
	await eventually(() => items(h).length === 1, 'the new message');
	await storeFlags(server, mailbox, uids[0], '+', ['\\Flagged']);
	await eventually(() => items(h).length === 2, 'the flag change');
	await deleteMessages(server, mailbox, [uids[1]]);
	await settle(h, mailbox, 'sentinel');

	const [created, updated, deleted, sentinel] = items(h);
	expect(items(h)).toHaveLength(4);
	expect(created).toMatchObject({
		event: 'messageNew',
		provider: 'imap',
		mailbox,
		uid: arrived,
		subject: 'report with pdf',
	});
	expect(h.executions[0][0].binary?.attachment_0).toMatchObject({
		fileName: 'ioc.pdf',
		mimeType: 'application/pdf',
	});
	expect(updated).toMatchObject({
		event: 'messageUpdated',
		uid: uids[0],
		flags: ['\\Flagged'],
		flagsAdded: ['\\Flagged'],
		flagsRemoved: [],
	});
	expect(String(updated.locator)).toMatch(/^imap:\/\/.*;UID=1$/);
	expect(deleted).toMatchObject({ event: 'messageDeleted', uid: uids[1], mailbox });
	expect(sentinel).toMatchObject({ event: 'messageNew', subject: 'sentinel' });
	// Static data was written before each emit and saved by it.
	expect(h.staticData()).toMatchObject({
		'node:Email Intel IMAP Events Trigger': {
			version: 1,
			mailboxes: { [mailbox]: { lastUid: sentinel.uid } },
		},
	});
	expect(h.reportedErrors).toEqual([]);
});

test('one IDLE connection per mailbox, all closed on deactivation; reactivation catches up from the cursor', async () => {
	const first = await newMailbox(1);
	const second = await newMailbox(1);
	const before = await imapSessions();
	const h = start(`${first.mailbox}, ${second.mailbox}`);
	await h.activate();
	expect(await imapSessions()).toBe(before + 2);
	await h.deactivate();
	let after = before + 2;
	for (let i = 0; i < 100 && after !== before; i++) {
		await new Promise((resolve) => setTimeout(resolve, 20));
		after = await imapSessions();
	}
	expect(after).toBe(before);

	// Mail that arrived while the workflow was inactive comes with the next activation, once.
	await server.seed('alice', second.mailbox, [message({ subject: 'while inactive' })]);
	await h.activate();
	await settle(h, second.mailbox, 'after reactivation');
	expect(items(h).map((json) => json.subject)).toEqual(['while inactive', 'after reactivation']);
});

test('Dovecot killed: emitError reaches n8n once, n8n re-activates, the trigger recovers when the server returns', async () => {
	const { mailbox } = await newMailbox(1);
	const h = start(mailbox);
	await h.activate();
	await settle(h, mailbox, 'before the outage');
	try {
		await server.kill();
		await eventually(() => h.reportedErrors.length > 0, 'the reported outage');
		// n8n closes the trigger and activates it again; that activation must not fail while the
		// server is still down (it would be retried with ever longer delays, up to a day).
		await eventually(() => h.activations >= 2, 'the re-activation');
	} finally {
		await server.start();
	}
	await settle(h, mailbox, 'after the outage');
	expect(h.reportedErrors).toHaveLength(1);
	expect(h.reportedErrors[0].message).toContain(`"${mailbox}"`);
	expect(h.activationErrors).toEqual([]);
	expect(items(h).map((json) => json.subject)).toEqual(['before the outage', 'after the outage']);
});

test('Listen for test event: the first event only; the active cursors are left alone', async () => {
	const { mailbox } = await newMailbox(1);
	const h = start(mailbox);
	const listening = await h.listen();
	try {
		await server.seed('alice', mailbox, [
			message({ subject: 'first' }),
			message({ subject: 'second' }),
		]);
		const data = await listening.response;
		expect(data[0].map((item) => item.json.subject)).toEqual(['first']);
	} finally {
		await listening.close();
	}
	expect(h.staticData()).toEqual({});
});

test('only the chosen events are emitted', async () => {
	const { mailbox, uids } = await newMailbox(2);
	const h = start(mailbox, { events: ['messageDeleted'] });
	await h.activate();
	await server.seed('alice', mailbox, [message({ subject: 'not wanted' })]);
	await storeFlags(server, mailbox, uids[0], '+', ['\\Seen']);
	await deleteMessages(server, mailbox, [uids[1]]);
	await eventually(() => items(h).length > 0, 'the deletion');
	await deleteMessages(server, mailbox, [uids[0]]);
	await eventually(() => items(h).length > 1, 'the second deletion');
	expect(items(h).map((json) => `${json.event}:${json.uid}`)).toEqual([
		`messageDeleted:${uids[1]}`,
		`messageDeleted:${uids[0]}`,
	]);
});

test('a wrong password fails the activation, naming the credential field', async () => {
	const { mailbox } = await newMailbox(0);
	const h = start(mailbox, {}, credentials({ password: 'wrong' }));
	const error = (await h.activate().catch((e: unknown) => e)) as Error & { description?: string };
	expect(error.message).toMatch(/rejected the login/);
	expect(error.description).toMatch(/password/);
});
