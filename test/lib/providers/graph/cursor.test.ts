import {
	EmittedSet,
	RECENT_CAP,
	idHash,
	runExclusive,
	newestCursor,
	passQueued,
	rememberCursor,
	parseMailboxList,
	clientStateMatches,
	triageNotifications,
} from '../../../../lib/providers/graph';

describe('GraphCursor memory of emitted messages', () => {
	it('is bounded: beyond RECENT_CAP the oldest leave and become a received-time floor', () => {
		const set = new EmittedSet(undefined);
		const t0 = Date.parse('2026-01-01T00:00:00Z');
		for (let i = 0; i < RECENT_CAP + 10; i++)
			set.add(`id-${i}`, new Date(t0 + i * 1000).toISOString());
		const cursor = set.toCursor('https://graph/delta?$deltatoken=x', 3);
		expect(cursor.recent).toHaveLength(RECENT_CAP);
		expect(cursor.floor).toBe(new Date(t0 + 9 * 1000).toISOString());
		expect(JSON.stringify(cursor).length).toBeLessThan(RECENT_CAP * 28 + 200);
		const reloaded = new EmittedSet(JSON.parse(JSON.stringify(cursor)));
		expect(reloaded.has('id-5', new Date(t0 + 5000).toISOString())).toBe(true); // below the floor
		expect(reloaded.has(`id-${RECENT_CAP + 9}`, new Date(t0).toISOString())).toBe(true); // remembered
		expect(reloaded.has('brand-new', new Date(t0 + 99_999_000).toISOString())).toBe(false);
		expect(idHash('x')).toHaveLength(16);
	});
});

describe('pass lock', () => {
	it('runs passes one at a time per key; a call while one is queued rides on the queued pass', async () => {
		const order: string[] = [];
		let release!: () => void;
		const first = runExclusive('k', () =>
			new Promise<string>((resolve) => (release = () => resolve('first'))).then(
				(v) => (order.push(v), v),
			),
		);
		expect(passQueued('k')).toBe(false);
		const second = runExclusive('k', async () => (order.push('second'), 'second'));
		expect(passQueued('k')).toBe(true);
		const third = runExclusive('k', async () => (order.push('third'), 'third'));
		const other = runExclusive('other', async () => (order.push('other'), 'other'));
		await other;
		release();
		expect(await first).toEqual({ ran: true, value: 'first' });
		expect(await second).toEqual({ ran: true, value: 'second' });
		expect(await third).toEqual({ ran: false });
		expect(order).toEqual(['other', 'first', 'second']);
		expect(passQueued('k')).toBe(false);
	});

	it('prefers the newest cursor between static data and this process', () => {
		rememberCursor('c', { seq: 5, recent: [], link: 'mem' });
		expect(newestCursor('c', { seq: 4, recent: [], link: 'db' })?.link).toBe('mem');
		expect(newestCursor('c', { seq: 6, recent: [], link: 'db' })?.link).toBe('db');
		expect(newestCursor('none', undefined)).toBeUndefined();
	});
});

describe('mailbox list and notification triage', () => {
	it('parses UPNs with optional folders and rejects what is not a mailbox', () => {
		expect(parseMailboxList('soc@contoso.com\nfin@contoso.com/Invoices, soc@contoso.com')).toEqual([
			{ upn: 'soc@contoso.com', folder: 'Inbox' },
			{ upn: 'fin@contoso.com', folder: 'Invoices' },
		]);
		expect(() => parseMailboxList('not-a-mailbox')).toThrow(
			expect.objectContaining({ field: 'mailboxes' }),
		);
		expect(() => parseMailboxList('  ')).toThrow(expect.objectContaining({ field: 'mailboxes' }));
	});

	it('compares clientState in constant time and sorts lifecycle events', () => {
		expect(clientStateMatches('abc', 'abc')).toBe(true);
		expect(clientStateMatches('abc', 'abd')).toBe(false);
		expect(clientStateMatches('abc', 'abcd')).toBe(false);
		expect(clientStateMatches(undefined, 'abc')).toBe(false);
		const scopes = [{ upn: 'a@contoso.com', folder: 'Inbox' }];
		const state = {
			clientState: 'secret',
			scopes: { 'a@contoso.com/Inbox': { subscription: { id: 's1', expirationDateTime: '' } } },
		};
		const plan = triageNotifications(
			{
				value: [
					{ subscriptionId: 's1', clientState: 'secret', changeType: 'created' },
					{
						subscriptionId: 's1',
						clientState: 'secret',
						lifecycleEvent: 'reauthorizationRequired',
					},
					{ subscriptionId: 's1', clientState: 'wrong' },
					{ subscriptionId: 'other', clientState: 'secret' },
				],
			},
			state,
			scopes,
		);
		expect(plan).toMatchObject({
			accepted: 2,
			rejected: 2,
			deltaFor: scopes,
			renew: scopes,
			recreate: [],
		});
		expect(triageNotifications('garbage', state, scopes).accepted).toBe(0);
	});
});
