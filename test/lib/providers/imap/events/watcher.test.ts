import fs from 'node:fs';

import type { MailIntelError } from '../../../../../lib/errors';
import { bufferSink, type BufferedAttachment } from '../../../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../../../lib/mail/policy';
import {
	MailboxWatcher,
	type EventCursor,
	type MailboxEvent,
	type WatchMemory,
} from '../../../../../lib/providers/imap/events';
import { startDovecot, type DovecotServer } from '../../../../imap/dovecot';
import { message } from '../messages';
import { settingsFor } from '../poll-helper';
import { deleteMessages, eventually, storeFlags } from './other-client';

/**
 * The IDLE watcher against a real Dovecot 2.3 (IDLE, CONDSTORE, QRESYNC): changes made by
 * another client are each handed on once, live and after the connection was lost.
 */
let server: DovecotServer;
let mailboxCounter = 0;

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
});

interface Recorder {
	events: Array<MailboxEvent<BufferedAttachment>>;
	cursors: EventCursor[];
	lost: MailIntelError[];
	watcher: MailboxWatcher<BufferedAttachment>;
	memory: WatchMemory;
	/** What the recorded events say, one line per event, e.g. "new:subject", "deleted:3", "updated:2:+\\Flagged". */
	lines(): string[];
}

const watchers: Array<MailboxWatcher<BufferedAttachment>> = [];
afterEach(async () => {
	await Promise.all(watchers.splice(0).map((watcher) => watcher.stop()));
});

function watch(mailbox: string, memory: WatchMemory = {}): Recorder {
	const recorder = { events: [], cursors: [], lost: [], memory } as unknown as Recorder;
	recorder.watcher = new MailboxWatcher<BufferedAttachment>({
		settings: settingsFor(server),
		mailbox,
		memory,
		policy: DEFAULT_POLICY,
		attachments: bufferSink,
		keepRaw: false,
		batchSize: 2,
		reconnect: { initialMs: 100, maxMs: 400 },
		...(process.env.WATCH_LOG ? { connect: { logger: fileLogger(process.env.WATCH_LOG) } } : {}),
		sink: {
			async deliver(_mailbox, events, cursor) {
				// The cursor is stored before the events go out: record it first, as the node does.
				recorder.cursors.push(cursor);
				recorder.events.push(...events);
			},
			lost: (_mailbox, error) => recorder.lost.push(error),
			warn: () => undefined,
		},
	});
	recorder.lines = () => recorder.events.map(describe);
	watchers.push(recorder.watcher);
	return recorder;
}

/** WATCH_LOG=file: imapflow's protocol log of every watcher, to read when a test fails. */
function fileLogger(file: string) {
	const write = (level: string) => (entry: object) =>
		fs.appendFileSync(file, `${new Date().toISOString()} ${level} ${JSON.stringify(entry)}\n`);
	return {
		debug: write('debug'),
		info: write('info'),
		warn: write('warn'),
		error: write('error'),
		trace: () => undefined,
	};
}

function describe(event: MailboxEvent<BufferedAttachment>): string {
	switch (event.type) {
		case 'messageNew':
			return `new:${event.email.subject}`;
		case 'messageDeleted':
			return `deleted:${event.summary.uid}`;
		case 'messageUpdated':
			return `updated:${event.summary.uid}:${[
				...(event.added ?? []).map((flag) => `+${flag}`),
				...(event.removed ?? []).map((flag) => `-${flag}`),
			].join(',')}${event.added ? '' : `=${event.flags.join(',')}`}`;
	}
}

/** A fresh mailbox per test with `count` messages in it. */
async function mailboxWith(count: number): Promise<{ mailbox: string; uids: number[] }> {
	const mailbox = `Watched${++mailboxCounter}`;
	const uids = await server.seed(
		'alice',
		mailbox,
		Array.from({ length: count }, (_, i) => message({ subject: `old ${i + 1}` })),
	);
	return { mailbox, uids };
}

/** Appends a last message and waits for it: every change made before it has been handed on by then. */
async function settle(recorder: Recorder, mailbox: string, name: string): Promise<void> {
	await server.seed('alice', mailbox, [message({ subject: name })]);
	await eventually(() => recorder.lines().includes(`new:${name}`), name);
}

test('what is in the mailbox when watching starts is the baseline: no events for it', async () => {
	const { mailbox, uids } = await mailboxWith(3);
	const recorder = watch(mailbox);
	await recorder.watcher.start();
	await settle(recorder, mailbox, 'first new');
	expect(recorder.lines()).toEqual(['new:first new']);
	expect(recorder.cursors[0]).toMatchObject({ lastUid: uids[2] });
});

test('new mail, a flag change and a deletion by another client: each handed on once, in order', async () => {
	const { mailbox, uids } = await mailboxWith(3);
	const recorder = watch(mailbox);
	await recorder.watcher.start();

	const [arrived] = await server.seed('alice', mailbox, [
		message({
			subject: 'suspicious invoice',
			attachments: [
				{
					filename: 'invoice.pdf',
					contentType: 'application/pdf',
					content: Buffer.from('%PDF-1.4'),
				},
			],
		}),
	]);
	await eventually(() => recorder.lines().includes('new:suspicious invoice'), 'the new message');
	await storeFlags(server, mailbox, uids[0], '+', ['\\Flagged', '$Phishing']);
	await eventually(
		() => recorder.events.some((e) => e.type === 'messageUpdated'),
		'the flag change',
	);
	await storeFlags(server, mailbox, uids[0], '-', ['\\Flagged']);
	await deleteMessages(server, mailbox, [uids[1]]);
	await settle(recorder, mailbox, 'sentinel');

	const lines = recorder.lines();
	expect(lines.slice(0, 2)).toEqual([
		'new:suspicious invoice',
		`updated:${uids[0]}:+$Phishing,+\\Flagged`,
	]);
	// The last two changes may come in one pass or two; either way each once, flags before deletion.
	expect(lines.slice(2)).toEqual([
		`updated:${uids[0]}:-\\Flagged`,
		`deleted:${uids[1]}`,
		'new:sentinel',
	]);
	const added = recorder.events[0];
	expect(added.type === 'messageNew' && added.summary.uid).toBe(arrived);
	expect(added.type === 'messageNew' && added.attachments.map((a) => a.info.filename)).toEqual([
		'invoice.pdf',
	]);
	// Read-only: the watcher never set \Seen.
	expect((await server.flags('alice', mailbox)).get(arrived)).toEqual([]);
	expect(recorder.lost).toEqual([]);
});

test('kicked while mail arrives and flags change: the catch-up hands on each missed event once', async () => {
	const { mailbox, uids } = await mailboxWith(4);
	const recorder = watch(mailbox);
	await recorder.watcher.start();
	await settle(recorder, mailbox, 'before the kick');

	await server.kick('alice');
	await Promise.all([
		server.seed('alice', mailbox, [
			message({ subject: 'missed 1' }),
			message({ subject: 'missed 2' }),
		]),
		storeFlags(server, mailbox, uids[0], '+', ['\\Seen']),
		deleteMessages(server, mailbox, [uids[3]]),
		server.seed('alice', mailbox, [message({ subject: 'missed 3' })]),
	]);
	await settle(recorder, mailbox, 'after the kick');

	const lines = recorder.lines();
	for (const expected of [
		'new:missed 1',
		'new:missed 2',
		'new:missed 3',
		`updated:${uids[0]}:+\\Seen`,
		`deleted:${uids[3]}`,
	])
		expect(lines.filter((line) => line === expected)).toHaveLength(1);
	expect(lines).toHaveLength(7);
	expect(recorder.lost).toEqual([]); // the server was there: reconnected at once, nothing to report
});

test('changes while nobody watched: a new watcher with the old cursor and flags catches up exactly', async () => {
	const { mailbox, uids } = await mailboxWith(3);
	const first = watch(mailbox);
	await first.watcher.start();
	await settle(first, mailbox, 'seen by the first');
	await first.watcher.stop();

	await server.seed('alice', mailbox, [message({ subject: 'while away' })]);
	await storeFlags(server, mailbox, uids[1], '+', ['\\Answered']);
	await deleteMessages(server, mailbox, [uids[2]]);

	const second = watch(mailbox, first.memory);
	await second.watcher.start();
	await settle(second, mailbox, 'seen by the second');
	expect(second.lines()).toEqual([
		`updated:${uids[1]}:+\\Answered`,
		`deleted:${uids[2]}`,
		'new:while away',
		'new:seen by the second',
	]);
});

test('after a process restart (cursor only, no flags): QRESYNC still finds each change, without the diff', async () => {
	const { mailbox, uids } = await mailboxWith(3);
	const first = watch(mailbox);
	await first.watcher.start();
	await settle(first, mailbox, 'before restart');
	await first.watcher.stop();
	const stored = JSON.parse(JSON.stringify(first.memory.cursor)) as EventCursor;

	await storeFlags(server, mailbox, uids[0], '+', ['\\Flagged']);
	await deleteMessages(server, mailbox, [uids[1]]);
	await server.seed('alice', mailbox, [message({ subject: 'during restart' })]);

	const second = watch(mailbox, { cursor: stored });
	await second.watcher.start();
	await settle(second, mailbox, 'after restart');
	expect(second.lines()).toEqual([
		`updated:${uids[0]}:=\\Flagged`,
		`deleted:${uids[1]}`,
		'new:during restart',
		'new:after restart',
	]);
	// The flags are known again from here on: the next change comes with its diff.
	await storeFlags(server, mailbox, uids[0], '-', ['\\Flagged']);
	await settle(second, mailbox, 'diff again');
	expect(second.lines()).toContain(`updated:${uids[0]}:-\\Flagged`);
});

test('more new mail than one batch: delivered in batches, the cursor advancing with each', async () => {
	const { mailbox } = await mailboxWith(1);
	const recorder = watch(mailbox);
	await recorder.watcher.start();
	await recorder.watcher.stop();
	const uids = await server.seed(
		'alice',
		mailbox,
		Array.from({ length: 5 }, (_, i) => message({ subject: `burst ${i + 1}` })),
	);
	const resumed = watch(mailbox, recorder.memory);
	await resumed.watcher.start();
	await eventually(() => resumed.events.length === 5, 'five new messages');
	expect(resumed.lines()).toEqual([1, 2, 3, 4, 5].map((i) => `new:burst ${i}`));
	// The cursor of each batch (a first delivery may carry only the new HIGHESTMODSEQ).
	expect(resumed.cursors.slice(-3).map((c) => c.lastUid)).toEqual([uids[1], uids[3], uids[4]]);
});

test('a server that dies is reported once; the watcher keeps retrying and catches up when it is back', async () => {
	const { mailbox } = await mailboxWith(1);
	const recorder = watch(mailbox);
	await recorder.watcher.start();
	await settle(recorder, mailbox, 'before the outage');
	try {
		await server.kill();
		await eventually(() => recorder.lost.length > 0, 'the outage report');
		expect(['REFUSED', 'CONNECTION_LOST']).toContain(recorder.lost[0].code);
		expect(recorder.lost[0].retryable).toBe(true);
	} finally {
		await server.start();
	}
	await settle(recorder, mailbox, 'after the outage');
	expect(recorder.lost).toHaveLength(1);
	expect(recorder.lines()).toEqual(['new:before the outage', 'new:after the outage']);
	expect(recorder.memory.outage).toBe(false);
});
