import {
	bufferSink,
	type AttachmentSink,
	type BufferedAttachment,
} from '../../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { pollImap, type ImapTriggerState } from '../../../../lib/providers/imap/poll';
import { ImapProvider } from '../../../../lib/providers/imap/provider';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { startRelay } from '../../../imap/relay';
import { MALFORMED, message } from './messages';
import { Poller, expectNoSeen, settingsFor } from './poll-helper';

/**
 * Exactly-once against a real Dovecot: every message comes out once, in UID order, whatever
 * happens to the session or the server between and during polls. Each test uses its own
 * mailbox so the tests do not see each other's mail.
 */
let server: DovecotServer;
const DAY = 24 * 3600 * 1000;

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
});

const touched = new Set<string>();
afterEach(async () => {
	// The trigger must never change a message: nothing may have gained \Seen.
	for (const mailbox of touched) await expectNoSeen(server, mailbox);
	touched.clear();
});

function mailboxFor(name: string): string {
	touched.add(name);
	return name;
}

function subjects(result: { emails: Array<{ email: { subject: string } }> }): string[] {
	return result.emails.map((item) => item.email.subject);
}

test('first poll imports only the start window, later polls only new mail', async () => {
	const mailbox = mailboxFor('Window');
	const now = Date.now();
	await server.seed(
		'alice',
		mailbox,
		['old-1', 'old-2', 'new-1', 'new-2'].map((subject) => message({ subject })),
		{
			internalDates: [
				new Date(now - 60 * DAY),
				new Date(now - 31 * DAY),
				new Date(now - 29 * DAY),
				new Date(now - 60_000),
			],
		},
	);
	const poller = new Poller(settingsFor(server), {
		mailboxes: [mailbox],
		since: new Date(now - 30 * DAY),
	});

	expect(subjects(await poller.poll())).toEqual(['new-1', 'new-2']);
	expect(subjects(await poller.poll())).toEqual([]);

	// Mail delivered later with an old INTERNALDATE (moved in from another folder) is still new here.
	await server.seed(
		'alice',
		mailbox,
		[message({ subject: 'late-1' }), message({ subject: 'late-2' })],
		{
			internalDates: [new Date(), new Date(now - 90 * DAY)],
		},
	);
	expect(subjects(await poller.poll())).toEqual(['late-1', 'late-2']);
	expect(subjects(await poller.poll())).toEqual([]);
});

test('an empty poll sends one STATUS and nothing else (no SELECT, SEARCH or FETCH)', async () => {
	const mailbox = mailboxFor('Empty');
	await server.seed('alice', mailbox, [message(), message()]);
	const provider = new ImapProvider(settingsFor(server));
	const first = await collect(provider, mailbox, undefined);
	expect(first.messages).toHaveLength(2);
	await provider.close();

	const commands: string[] = [];
	const logged = new ImapProvider(settingsFor(server), { logger: commandLogger(commands) });
	const second = await collect(logged, mailbox, first.cursor);
	await logged.close();
	expect(second.messages).toEqual([]);
	const afterLogin = commands.slice(
		commands.findIndex((command) => /^\S+ (LOGIN|AUTHENTICATE)\b/.test(command)) + 1,
	);
	const mailboxCommands = afterLogin.filter((command) =>
		/^\S+ (UID )?(STATUS|SELECT|EXAMINE|SEARCH|FETCH)\b/.test(command),
	);
	expect(mailboxCommands).toHaveLength(1);
	expect(mailboxCommands[0]).toMatch(/ STATUS "?Empty"? \(.*UIDNEXT.*UIDVALIDITY.*\)/);
});

test('1,000 messages with max 100 per poll: 10 polls, each message once, in UID order', async () => {
	const mailbox = mailboxFor('Thousand');
	const uids = await server.seed(
		'alice',
		mailbox,
		Array.from({ length: 1000 }, (_, i) => message({ subject: `bulk ${i}` })),
	);
	const poller = new Poller(settingsFor(server), { mailboxes: [mailbox], maxItems: 100 });
	const seen: number[] = [];
	let polls = 0;
	for (;;) {
		const result = await poller.poll();
		expect(result.errors).toEqual([]);
		if (result.emails.length === 0) break;
		polls++;
		expect(result.emails.length).toBeLessThanOrEqual(100);
		seen.push(...result.emails.map((item) => item.email.uid as number));
	}
	expect(polls).toBe(10);
	expect(seen).toEqual(uids);
	expect(seen.map((uid) => uid)).toEqual([...seen].sort((a, b) => a - b));
});

describe('faults during a poll: 0 lost, 0 duplicated', () => {
	const ATTACHMENT = Buffer.alloc(96 * 1024, 'x');

	async function seedBig(mailbox: string, count: number, prefix: string): Promise<number[]> {
		return server.seed(
			'alice',
			mailbox,
			Array.from({ length: count }, (_, i) =>
				message({
					subject: `${prefix} ${i}`,
					attachments: [{ filename: `${i}.txt`, contentType: 'text/plain', content: ATTACHMENT }],
				}),
			),
		);
	}

	/** Polls until two polls in a row are empty; returns every emitted UID. */
	async function drain(poller: Poller, emitted: number[]): Promise<void> {
		for (let empty = 0, guard = 0; empty < 2 && guard < 50; guard++) {
			const result = await poller.poll();
			expect(result.errors).toEqual([]);
			emitted.push(...result.emails.map((item) => item.email.uid as number));
			empty = result.emails.length === 0 ? empty + 1 : 0;
		}
	}

	test('session kicked (doveadm kick) in the middle of the FETCH', async () => {
		const mailbox = mailboxFor('Kick');
		const uids = await seedBig(mailbox, 250, 'kick');
		const poller = new Poller(settingsFor(server), { mailboxes: [mailbox], maxItems: 1000 });
		const emitted: number[] = [];

		let kicked: Promise<void> | undefined;
		const kickingSink: AttachmentSink<BufferedAttachment> = async (info, content) => {
			kicked ??= server.kick('alice');
			await kicked;
			return bufferSink(info, content);
		};
		const interrupted = await pollThroughSlowLink(poller, mailbox, kickingSink);
		expect(kicked).toBeDefined();
		expect(interrupted.errors.map((e) => e.error.code)).toEqual(['CONNECTION_LOST']);
		// What was built before the fault is handed on with a cursor right after it; the rest follows.
		emitted.push(...interrupted.emails.map((item) => item.email.uid as number));
		expect(interrupted.emails.length).toBeLessThan(uids.length);

		await drain(poller, emitted);
		expect(emitted).toEqual(uids);
	});

	test('server SIGKILLed during a poll and restarted', async () => {
		const mailbox = mailboxFor('Crash');
		const uids = await seedBig(mailbox, 250, 'crash');
		const poller = new Poller(settingsFor(server), { mailboxes: [mailbox], maxItems: 1000 });
		const emitted: number[] = [];

		let killed: Promise<void> | undefined;
		const killingSink: AttachmentSink<BufferedAttachment> = async (info, content) => {
			killed ??= server.kill();
			await killed;
			return bufferSink(info, content);
		};
		const interrupted = await pollThroughSlowLink(poller, mailbox, killingSink);
		expect(killed).toBeDefined();
		expect(interrupted.errors).toHaveLength(1);
		// What was built before the fault is handed on with a cursor right after it; the rest follows.
		emitted.push(...interrupted.emails.map((item) => item.email.uid as number));
		expect(interrupted.emails.length).toBeLessThan(uids.length);

		// While the server is down, polls fail and keep the cursor.
		const down = await poller.poll();
		expect(down.errors.map((e) => e.error.code)).toEqual(['REFUSED']);

		await server.start();
		await drain(poller, emitted);
		expect(emitted).toEqual(uids);
	});

	test('UIDVALIDITY changed: the re-scan skips what was already emitted', async () => {
		const mailbox = mailboxFor('Validity');
		await server.seed(
			'alice',
			mailbox,
			Array.from({ length: 20 }, (_, i) => message({ subject: `before ${i}` })),
		);
		const poller = new Poller(settingsFor(server), { mailboxes: [mailbox] });
		expect((await poller.poll()).emails).toHaveLength(20);
		const oldValidity = poller.state!.scopes[mailbox].cursor!.uidValidity;

		await server.setUidValidity('alice', mailbox, Number(oldValidity) + 1000);
		await server.seed(
			'alice',
			mailbox,
			Array.from({ length: 5 }, (_, i) => message({ subject: `after ${i}` })),
		);
		const result = await poller.poll();
		expect(result.errors).toEqual([]);
		expect(subjects(result)).toEqual(['after 0', 'after 1', 'after 2', 'after 3', 'after 4']);
		expect(poller.state!.scopes[mailbox].cursor!.uidValidity).toBe(
			String(Number(oldValidity) + 1000),
		);
		expect(subjects(await poller.poll())).toEqual([]);
	});

	test('index deleted (UIDs renumbered from 1): nothing lost, nothing repeated', async () => {
		const mailbox = mailboxFor('Renumber');
		await server.seed(
			'alice',
			mailbox,
			Array.from({ length: 30 }, (_, i) => message({ subject: `first ${i}` })),
		);
		const poller = new Poller(settingsFor(server), { mailboxes: [mailbox] });
		expect((await poller.poll()).emails).toHaveLength(30);

		await server.renumber('alice', mailbox);
		await server.seed(
			'alice',
			mailbox,
			Array.from({ length: 3 }, (_, i) => message({ subject: `second ${i}` })),
		);
		const result = await poller.poll();
		expect(result.errors).toEqual([]);
		expect(subjects(result)).toEqual(['second 0', 'second 1', 'second 2']);
		expect(subjects(await poller.poll())).toEqual([]);
		await server.seed('alice', mailbox, [message({ subject: 'third' })]);
		expect(subjects(await poller.poll())).toEqual(['third']);
	});
});

test('malformed messages are emitted (with parseError when unparseable) and never block the next ones', async () => {
	const mailbox = mailboxFor('Malformed');
	const batch = [
		message({ subject: 'good before' }),
		...MALFORMED,
		message({ subject: 'good after' }),
	];
	const uids = await server.seed('alice', mailbox, batch);
	const poller = new Poller(settingsFor(server), { mailboxes: [mailbox] });
	const result = await poller.poll();
	expect(result.errors).toEqual([]);
	expect(result.emails.map((item) => item.email.uid)).toEqual(uids);
	expect(result.emails[0].email.subject).toBe('good before');
	expect(result.emails.at(-1)!.email.subject).toBe('good after');
	const badBase64 = result.emails.find((item) => item.email.subject === 'bad base64')!;
	expect(badBase64.email.dateFromReceived).toBe(true);
	for (const item of result.emails) {
		if (item.email.parseError) expect(item.raw).toBeDefined(); // the raw source is kept for a human
	}
	await server.seed('alice', mailbox, [message({ subject: 'next poll' })]);
	expect(subjects(await poller.poll())).toEqual(['next poll']);
});

test('several mailboxes share max items per poll and each keeps its own cursor', async () => {
	const a = mailboxFor('Multi/A');
	const b = mailboxFor('Multi/B');
	await server.seed(
		'alice',
		a,
		Array.from({ length: 3 }, (_, i) => message({ subject: `a${i}` })),
	);
	await server.seed(
		'alice',
		b,
		Array.from({ length: 3 }, (_, i) => message({ subject: `b${i}` })),
	);
	const poller = new Poller(settingsFor(server), { mailboxes: [a, b], maxItems: 4 });
	expect(subjects(await poller.poll())).toEqual(['a0', 'a1', 'a2', 'b0']);
	expect(subjects(await poller.poll())).toEqual(['b1', 'b2']);
	expect(subjects(await poller.poll())).toEqual([]);
	expect(Object.keys(poller.state!.scopes)).toEqual([a, b]);
});

test('a missing mailbox is reported with the parameter to fix and does not stop the others', async () => {
	const a = mailboxFor('Present');
	await server.seed('alice', a, [message({ subject: 'here' })]);
	const poller = new Poller(settingsFor(server), { mailboxes: ['Does/Not/Exist', a] });
	const result = await poller.poll();
	expect(subjects(result)).toEqual(['here']);
	expect(result.errors).toHaveLength(1);
	expect(result.errors[0].mailbox).toBe('Does/Not/Exist');
	expect(result.errors[0].error.field).toBe('mailboxes');
});

/**
 * One poll whose session reads the server at 4 MB/s: the ~33 MB FETCH of the fault tests then
 * lasts ~8 s, so a fault the sink starts at the first attachment lands while it is running.
 */
async function pollThroughSlowLink(
	poller: Poller,
	mailbox: string,
	sink: AttachmentSink<BufferedAttachment>,
) {
	const link = await startRelay(server, { bytesPerSecond: 4 * 1024 * 1024 });
	const provider = new ImapProvider(settingsFor(server, { host: link.host, port: link.port }));
	try {
		const result = await pollImap(provider, poller.state as ImapTriggerState | undefined, {
			mailboxes: [mailbox],
			since: new Date(Date.now() - 30 * DAY),
			maxItems: 1000,
			policy: DEFAULT_POLICY,
			sink,
			rawSink: bufferSink,
			keepRaw: false,
		});
		poller.state = result.state;
		return result;
	} finally {
		await provider.close();
		await link.close();
	}
}

async function collect(
	provider: ImapProvider,
	mailbox: string,
	cursor: Parameters<ImapProvider['changes']>[1],
) {
	const messages = [];
	let last = cursor;
	for await (const batch of provider.changes(mailbox, cursor, {
		since: new Date(Date.now() - 30 * DAY),
		limit: 100,
	})) {
		messages.push(...batch.messages);
		last = batch.cursor;
	}
	return { messages, cursor: last };
}

function commandLogger(commands: string[]) {
	const ignore = () => undefined;
	return {
		debug: (entry: { src?: string; msg?: string }) => {
			if (entry.src === 'c' && entry.msg) commands.push(entry.msg);
		},
		info: ignore,
		warn: ignore,
		error: ignore,
		trace: ignore,
	};
}
