import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import type { BufferedAttachment } from '../../../../lib/mail/parse';
import {
	GmailProvider,
	GmailPushSession,
	type GmailPushState,
} from '../../../../lib/providers/gmail';
import { clearOwner } from '../../../../lib/state/registry';
import { startFakeGmail, type FakeGmail } from '../../../fakes/gmail';
import { mail } from './mail';
import { clientFor, tokenJsonConfig } from './poll';

/**
 * The push trigger's lib part without n8n: what the activation's renewal round does (users.watch
 * again once a day, or when the watch expires within a day), and a push that the cursor covers.
 */
const TOPIC = 'projects/p/topics/gmail';
const DAY = 24 * 3600_000;
let fake: FakeGmail;
let session: GmailPushSession<BufferedAttachment>;

beforeEach(async () => {
	fake = await startFakeGmail();
	session = new GmailPushSession({
		provider: new GmailProvider({ client: clientFor(tokenJsonConfig(fake)), account: 'me' }),
		owner: 'wf:node:active',
		identity: 'id-1',
		source: { since: new Date(Date.now() - 30 * DAY), labels: ['INBOX'], policy: DEFAULT_POLICY },
		maxItemsPerPass: 100,
	});
});
afterEach(async () => {
	clearOwner('wf:node:active');
	await fake.close();
});

test('the renewal round watches again a day after the last watch, or a day before it expires, not sooner', async () => {
	const state = session.prepareState({});
	const start = Date.now();
	await session.watch(state, TOPIC, start);
	expect(fake.watches).toHaveLength(1);
	expect(await session.renewDue(state, start + 23 * 3600_000)).toBe(false);
	expect(fake.watches).toHaveLength(1);
	expect(await session.renewDue(state, start + DAY)).toBe(true);
	expect(fake.watches).toHaveLength(2);
	expect(state.watch!.setAt).toBe(start + DAY);
	// A watch that Gmail gave less than a day to live is renewed whatever its age.
	state.watch!.expiration = start + DAY + 3600_000;
	expect(await session.renewDue(state, start + DAY + 60_000)).toBe(true);
	expect(fake.watches).toHaveLength(3);
	// Nothing to renew without a watch (deactivated).
	await session.stop(state);
	expect(await session.renewDue(state as GmailPushState, start + 9 * DAY)).toBe(false);
	expect(fake.watches).toHaveLength(3);
	expect(fake.stops).toBe(1);
});

test('a push at or before the cursor is covered; a newer one, or one for another mailbox, is told apart', async () => {
	fake.addMessage({ raw: mail('one') });
	const state = session.prepareState({});
	await session.watch(state, TOPIC);
	const push = (historyId: string, emailAddress = fake.address) => ({ emailAddress, historyId });
	// No cursor yet: the first push runs the first pass.
	expect(session.covered(state, push(fake.currentHistoryId()))).toBe(false);
	const first = await session.pass(state);
	expect(first?.items.map((item) => item.email.subject)).toEqual(['one']);
	expect(session.covered(state, push(fake.currentHistoryId()))).toBe(true);
	fake.addMessage({ raw: mail('two') });
	expect(session.covered(state, push(fake.currentHistoryId()))).toBe(false);
	expect(session.foreign(state, push(fake.currentHistoryId(), 'other@example.com'))).toBe(true);
	expect(session.foreign(state, push(fake.currentHistoryId(), fake.address.toUpperCase()))).toBe(
		false,
	);
	const second = await session.pass(state);
	expect(second?.items.map((item) => item.email.subject)).toEqual(['two']);
});
