import { failureClass } from '../../../../lib/errors';
import type { IngestState } from '../../../../lib/ingest/state';
import type { GmailCursor } from '../../../../lib/providers/gmail';
import { startFakeGmail, type FakeGmail } from '../../../fakes/gmail';
import { mail } from './mail';
import { pollOnce, tokenJsonConfig } from './poll';

/**
 * The Gmail trigger's exactly-once logic (lib/providers/gmail through lib/ingest) against the
 * Gmail fake: every message of the watched labels is emitted once, whatever arrives when.
 */
describe('Gmail through the ingest core', () => {
	let fake: FakeGmail;
	beforeEach(async () => {
		fake = await startFakeGmail();
	});
	afterEach(async () => {
		fake.beforeAnswer(undefined);
		await fake.close();
	});

	const DAY = 86_400_000;
	const subjects = (items: Array<{ email: { subject: string } }>) =>
		items.map((item) => item.email.subject);

	it('first run: the start window oldest first, with labels, thread, locator; then an empty poll is one history.list', async () => {
		fake.addMessage({ raw: mail('too old'), internalDate: Date.now() - 40 * DAY });
		fake.addMessage({ raw: mail('m1', { attachment: true }), internalDate: Date.now() - 3 * DAY });
		fake.addMessage({ raw: mail('m2'), internalDate: Date.now() - 2 * DAY });
		fake.addMessage({ raw: mail('not watched'), labelIds: ['SENT'] });
		const config = tokenJsonConfig(fake);

		const first = await pollOnce(config, undefined);
		expect(subjects(first.items)).toEqual(['m1', 'm2']);
		const m1 = first.items[0].email;
		expect(m1).toMatchObject({
			provider: 'gmail',
			account: 'me',
			mailbox: 'INBOX',
			labels: ['INBOX', 'UNREAD'],
			threadId: m1.id,
			locator: `gmail://me/messages/${m1.id}`,
		});
		expect(m1.attachments).toEqual([
			expect.objectContaining({ filename: 'report.pdf', contentType: 'application/pdf' }),
		]);
		expect(first.items[0].attachments[0].stored.data.toString()).toBe('%PDF-1.4 fake');

		const before = fake.requests.length;
		const empty = await pollOnce(config, first.state);
		expect(empty.items).toEqual([]);
		expect(fake.requests.slice(before).map((r) => r.path)).toEqual(['history']);
	});

	it('exactly once over many polls, mail arriving between polls and during them (listing, history, downloads)', async () => {
		const config = tokenJsonConfig(fake);
		const added: string[] = [];
		const add = (subject: string) => added.push(fake.addMessage({ raw: mail(subject) }).id);
		for (let i = 0; i < 5; i++) add(`before-${i}`);
		let during = 0;
		// Every few API answers a new message arrives, whatever the request is.
		fake.beforeAnswer(() => {
			if (++during % 3 === 0 && during < 120) add(`during-${during}`);
		});
		let state: IngestState<GmailCursor> | undefined;
		const emitted: string[] = [];
		for (let poll = 0; poll < 25; poll++) {
			if (poll % 4 === 1) add(`between-${poll}`);
			const result = await pollOnce(config, state, { limit: 3 });
			expect(result.failures).toEqual([]);
			state = result.state;
			emitted.push(...result.items.map((item) => item.email.id));
		}
		fake.beforeAnswer(undefined);
		for (let poll = 0; poll < 40; poll++) {
			const result = await pollOnce(config, state, { limit: 3 });
			state = result.state;
			emitted.push(...result.items.map((item) => item.email.id));
			if (result.items.length === 0) break;
		}
		expect(new Set(emitted).size).toBe(emitted.length); // nothing twice
		expect([...emitted].sort()).toEqual([...added].sort()); // nothing missing
	});

	it('a message delivered late with an old Date header (and an old internalDate) is emitted, its date the header', async () => {
		const config = tokenJsonConfig(fake);
		fake.addMessage({ raw: mail('now') });
		const first = await pollOnce(config, undefined);
		expect(subjects(first.items)).toEqual(['now']);
		const written = new Date(Date.now() - 10 * DAY);
		// Delivered today but written ten days ago; and one imported with its Date as internalDate.
		fake.addMessage({ raw: mail('late', { date: written }) });
		fake.addMessage({ raw: mail('imported', { date: written }), internalDate: written.getTime() });
		const next = await pollOnce(config, first.state);
		expect(subjects(next.items)).toEqual(['late', 'imported']);
		expect(Date.parse(next.items[0].email.date)).toBe(Math.floor(written.getTime() / 1000) * 1000);
		expect(Date.parse(next.items[0].email.receivedAt!)).toBeGreaterThan(
			written.getTime() + 9 * DAY,
		);
	});

	it('an expired history id (404) becomes a full sync of the start window without re-emitting', async () => {
		const config = tokenJsonConfig(fake);
		fake.addMessages([{ raw: mail('a') }, { raw: mail('b') }]);
		const first = await pollOnce(config, undefined);
		expect(subjects(first.items)).toEqual(['a', 'b']);
		fake.addMessage({ raw: mail('c') });
		const second = await pollOnce(config, first.state);
		expect(subjects(second.items)).toEqual(['c']);

		fake.addMessage({ raw: mail('d') });
		fake.expireHistory();
		fake.addMessage({ raw: mail('e') });
		const resync = await pollOnce(config, second.state);
		expect(subjects(resync.items)).toEqual(['d', 'e']);
		expect(fake.requests.some((r) => r.path === 'profile')).toBe(true);

		fake.addMessage({ raw: mail('f') });
		const after = await pollOnce(config, resync.state);
		expect(subjects(after.items)).toEqual(['f']);
	});

	it('a message carrying two watched labels is emitted once; one watched label is enough; none is not', async () => {
		const config = tokenJsonConfig(fake);
		const labels = ['INBOX', 'Label_phish'];
		fake.addMessage({ raw: mail('both-old'), labelIds: labels });
		const first = await pollOnce(config, undefined, { labels });
		expect(subjects(first.items)).toEqual(['both-old']);
		fake.addMessage({ raw: mail('both'), labelIds: ['Label_phish', 'INBOX'] });
		fake.addMessage({ raw: mail('phish only'), labelIds: ['Label_phish'] });
		fake.addMessage({ raw: mail('neither'), labelIds: ['Label_other'] });
		const next = await pollOnce(config, first.state, { labels });
		expect(subjects(next.items)).toEqual(['both', 'phish only']);
		expect(next.items.map((item) => item.email.mailbox)).toEqual(['Label_phish', 'Label_phish']);
		expect((await pollOnce(config, next.state, { labels })).items).toEqual([]);
	});

	it('no label watched: all mail except drafts, spam and trash on the first run; history likewise but drafts', async () => {
		const config = tokenJsonConfig(fake);
		fake.addMessage({ raw: mail('inbox') });
		fake.addMessage({ raw: mail('sent'), labelIds: ['SENT'] });
		fake.addMessage({ raw: mail('spam'), labelIds: ['SPAM'] });
		const first = await pollOnce(config, undefined, { labels: [] });
		expect(subjects(first.items)).toEqual(['inbox', 'sent']);
		expect(first.items[0].email.mailbox).toBe('ALL');
		fake.addMessage({ raw: mail('draft'), labelIds: ['DRAFT'] });
		fake.addMessage({ raw: mail('archived'), labelIds: [] });
		const next = await pollOnce(config, first.state, { labels: [] });
		expect(subjects(next.items)).toEqual(['archived']);
	});

	it('at most the configured messages per poll, the rest next poll, in order', async () => {
		const config = tokenJsonConfig(fake);
		fake.addMessages(
			Array.from({ length: 10 }, (_, i) => ({
				raw: mail(`s${i}`),
				internalDate: Date.now() - (10 - i) * 60_000,
			})),
		);
		const polls: string[][] = [];
		let state: IngestState<GmailCursor> | undefined;
		for (let i = 0; i < 3; i++) {
			const result = await pollOnce(config, state, { limit: 4 });
			state = result.state;
			polls.push(subjects(result.items));
		}
		expect(polls).toEqual([
			['s0', 's1', 's2', 's3'],
			['s4', 's5', 's6', 's7'],
			['s8', 's9'],
		]);
		fake.addMessages(Array.from({ length: 5 }, (_, i) => ({ raw: mail(`h${i}`) })));
		const history = [subjects((await pollOnce(config, state, { limit: 4 })).items)];
		expect(history[0]).toEqual(['h0', 'h1', 'h2', 'h3']);
	});

	it('quota: 429 with Retry-After and 403 rateLimitExceeded are retried; a lasting quota error is transient and loses nothing', async () => {
		const config = tokenJsonConfig(fake);
		fake.addMessages([{ raw: mail('q1') }, { raw: mail('q2') }]);
		fake.fault({ path: /^messages\//, status: 429, retryAfter: '0', reason: 'rateLimitExceeded' });
		fake.fault({ path: /^messages\//, status: 403, reason: 'userRateLimitExceeded' });
		const first = await pollOnce(config, undefined);
		expect(subjects(first.items)).toEqual(['q1', 'q2']);

		fake.addMessages([{ raw: mail('q3') }, { raw: mail('q4') }]);
		fake.fault({ path: /^messages\//, status: 403, reason: 'rateLimitExceeded', times: 100 });
		const throttled = await pollOnce(config, first.state);
		expect(throttled.items).toEqual([]);
		expect(throttled.failures).toHaveLength(1);
		expect(failureClass(throttled.failures[0].error)).toBe('transient');
		expect(throttled.failures[0].error.message).toContain('rateLimitExceeded');

		fake.clearFaults();
		const recovered = await pollOnce(config, throttled.state);
		expect(subjects(recovered.items)).toEqual(['q3', 'q4']);
	});

	it('a message deleted between listing and download is passed over, the rest emitted', async () => {
		const config = tokenJsonConfig(fake);
		const [gone] = fake.addMessages([{ raw: mail('gone') }, { raw: mail('kept') }]);
		fake.beforeAnswer((_method, path) => {
			if (path === 'messages') fake.deleteMessage(gone.id);
		});
		const first = await pollOnce(config, undefined);
		expect(subjects(first.items)).toEqual(['kept']);
	});
});

describe('Gmail through the ingest core: failures mid-batch', () => {
	let fake: FakeGmail;
	beforeEach(async () => {
		fake = await startFakeGmail();
	});
	afterEach(() => fake.close());

	const subjects = (items: Array<{ email: { subject: string } }>) =>
		items.map((item) => item.email.subject);

	it.each([
		['the first run (full sync)', false],
		['a history pass', true],
	])(
		'%s: a download failing for good mid-batch keeps what came before it, and the next poll goes on from there without repeats',
		async (_when, afterFirstRun) => {
			const config = tokenJsonConfig(fake);
			let state: IngestState<GmailCursor> | undefined;
			if (afterFirstRun) state = (await pollOnce(config, undefined)).state;
			const messages = fake.addMessages(
				Array.from({ length: 6 }, (_, i) => ({
					raw: mail(`x${i}`),
					internalDate: Date.now() - (6 - i) * 1000,
				})),
			);
			const broken = new RegExp(`^messages/${messages[3].id}$`);
			fake.fault({ path: broken, status: 500, times: 1000 });
			const failing = await pollOnce(config, state, { concurrency: 1 });
			expect(subjects(failing.items)).toEqual(['x0', 'x1', 'x2']);
			expect(failing.failures).toHaveLength(1);

			fake.clearFaults();
			fake.addMessage({ raw: mail('x6') });
			const recovered = await pollOnce(config, failing.state);
			expect(subjects(recovered.items)).toEqual(['x3', 'x4', 'x5', 'x6']);
			expect((await pollOnce(config, recovered.state)).items).toEqual([]);
		},
	);
});
