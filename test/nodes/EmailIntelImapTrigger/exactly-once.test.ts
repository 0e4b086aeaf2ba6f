import { EmailIntelImapTrigger } from '../../../nodes/EmailIntelImapTrigger/EmailIntelImapTrigger.node';
import { startRelay } from '../../imap/relay';
import { startDovecot, type DovecotServer } from '../../imap/dovecot';
import { dovecotCredential } from '../../imap/credentials';
import { message } from '../../lib/providers/imap/messages';
import { Poller, settingsFor } from '../../lib/providers/imap/poll-helper';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';

/**
 * The IMAP trigger's exactly-once promise on the paths the ingest core closed, against a real
 * Dovecot and inside n8n-core's PollContext (static data saved only when a poll emits).
 */
let server: DovecotServer;
let harness: Harness | undefined;

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
});
afterEach(async () => {
	await harness?.close();
	harness = undefined;
});

const credentials = () => ({ emailIntelImapApi: dovecotCredential(server) });

const subjectsOf = (harness: Harness) =>
	harness.executions.flatMap((execution) =>
		execution.items.map((item) => String(item.json.subject)),
	);

test('two overlapping polls of one node: the second returns nothing, no message twice', async () => {
	const mailbox = 'Once/Overlap';
	await server.seed(
		'alice',
		mailbox,
		Array.from({ length: 40 }, (_, i) => message({ subject: `o${i}` })),
	);
	harness = await startHarness(new EmailIntelImapTrigger(), {
		parameters: { mailboxes: mailbox },
		credentials: credentials(),
	});
	const [a, b] = await Promise.all([harness.poll(), harness.poll()]);
	expect([a, b].filter((result) => result === null)).toHaveLength(1);
	expect(await harness.poll()).toBeNull();
	const subjects = subjectsOf(harness);
	expect(subjects).toHaveLength(40);
	expect(new Set(subjects).size).toBe(40);
});

/** Seeds `count` messages (subjects prefix0…) and starts the trigger v2 with batches of 40. */
async function startBacklog(
	mailbox: string,
	count: number,
	prefix: string,
): Promise<{ trigger: Harness; expected: string[] }> {
	const expected = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
	await server.seed(
		'alice',
		mailbox,
		expected.map((subject) => message({ subject })),
	);
	const trigger = await startHarness(new EmailIntelImapTrigger(), {
		parameters: { mailboxes: mailbox, options: { maxItemsPerExecution: 40 } },
		credentials: credentials(),
		typeVersion: 2,
	});
	harness = trigger;
	return { trigger, expected };
}

test('version 2: the activation poll drains a backlog in executions of Max Items per Execution, each message once, nothing again after a restart', async () => {
	const { trigger, expected } = await startBacklog('Once/Backlog', 250, 'b');
	// The activation poll hands on its first batch, returns (n8n waits for it before the workflow
	// is active) and drains the rest in the background, one execution at a time.
	await trigger.poll();
	expect(trigger.executions.map((e) => e.items.length)).toEqual([40, 40, 40, 40, 40, 40, 10]);
	expect(subjectsOf(trigger)).toEqual(expected);
	// n8n restarts: the workflow is rebuilt from what the database holds, and nothing comes twice.
	trigger.restart();
	expect(await trigger.poll()).toBeNull();
	expect(await trigger.poll()).toBeNull();
});

test('version 2: a poll while the activation poll still drains in the background returns nothing; the drain hands on every message once', async () => {
	const { trigger, expected } = await startBacklog('Once/Drain', 120, 'd');
	let overlapping: Promise<unknown> | undefined;
	await trigger.poll('trigger', {
		// n8n's schedule fires while the drain is between its first and second batch.
		afterEmit: (index) => {
			if (index === 0) overlapping = trigger.poll();
		},
	});
	expect(await overlapping).toBeNull();
	expect(trigger.executions.map((e) => e.items.length)).toEqual([40, 40, 40]);
	expect(subjectsOf(trigger)).toEqual(expected);
	expect(await trigger.poll()).toBeNull();
});

test('version 2: a batch n8n does not run (its done promise rejects) ends the poll, and the next poll hands it on again', async () => {
	const { trigger, expected } = await startBacklog('Once/Refused', 120, 'r');
	// The drain's last batch (r80-r119) gets no execution: n8n saved the static data, then
	// refused, and the refusal reaches the trigger only after the poll ended and the next poll
	// has started (a manual "Fetch Test Event" or a short schedule can follow right away).
	let deliverRefusal!: () => void;
	const refusalArrives = new Promise<void>((resolve) => (deliverRefusal = resolve));
	await trigger.poll('trigger', { refuseFrom: 2, refusalArrives });
	expect(trigger.executions.map((e) => e.items.length)).toEqual([40, 40]);
	const next = trigger.poll();
	setTimeout(deliverRefusal, 200);
	await next;
	expect(subjectsOf(trigger)).toEqual(expected);
	expect(await trigger.poll()).toBeNull();
});

test('a 10 MB message whose download is cut mid-transfer: no broken item, it arrives whole next poll', async () => {
	const mailbox = 'Once/Cut';
	const big = Buffer.alloc(10 * 1024 * 1024, 'z');
	await server.seed('alice', mailbox, [
		message({ subject: 'small before' }),
		message({
			subject: 'big',
			attachments: [{ filename: 'big.txt', contentType: 'text/plain', content: big }],
		}),
	]);
	const link = await startRelay(server, { cutAfterBytes: 4 * 1024 * 1024 });
	try {
		const cut = new Poller(settingsFor(server, { host: link.host, port: link.port }), {
			mailboxes: [mailbox],
		});
		const broken = await cut.poll();
		expect(link.cuts).toBe(1);
		expect(broken.emails.map((e) => e.email.subject)).toEqual(['small before']);
		expect(broken.errors.map((e) => e.error.retryable)).toEqual([true]);

		const direct = new Poller(settingsFor(server), { mailboxes: [mailbox] });
		direct.state = cut.state;
		const next = await direct.poll();
		expect(next.errors).toEqual([]);
		expect(next.emails).toHaveLength(1);
		const item = next.emails[0];
		expect(item.email.subject).toBe('big');
		expect(item.email.parseError).toBeUndefined();
		expect(item.attachments[0].info.size).toBe(big.length);
		expect((item.attachments[0].stored as { data: Buffer }).data.equals(big)).toBe(true);
		expect((await direct.poll()).emails).toEqual([]);
	} finally {
		await link.close();
	}
});
