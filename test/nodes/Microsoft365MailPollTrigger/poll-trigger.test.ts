import { Microsoft365MailPollTrigger } from '../../../nodes/Microsoft365MailPollTrigger/Microsoft365MailPollTrigger.node';
import { startFakeGraph, type FakeGraph } from '../../fakes/graph';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';

const UPN = 'soc@contoso.com';

describe('Microsoft 365 Mail Poll Trigger in n8n-core PollContext against the Graph fake', () => {
	let fake: FakeGraph;
	let harness: Harness;
	const credentials = (secret?: string) => ({
		microsoftGraphAppApi: fake.credentialData({ clientSecret: secret }),
	});

	beforeEach(async () => {
		fake = await startFakeGraph({ defaultPageSize: 10 });
	});
	afterEach(async () => {
		await harness?.close();
		await fake.close();
	});

	it('emits each new message once across polls, through expired delta tokens, two folders', async () => {
		harness = await startHarness(new Microsoft365MailPollTrigger(), {
			parameters: { mailboxes: `${UPN}\n${UPN}/Finance`, options: { maxItemsPerRun: 1000 } },
			credentials: credentials(),
		});
		const old = fake.addMessages(UPN, 'Inbox', [
			{
				subject: 'ancient',
				receivedDateTime: new Date(Date.now() - 40 * 86_400_000).toISOString(),
			},
		]);
		const a = fake
			.addMessages(
				UPN,
				'Inbox',
				Array.from({ length: 25 }, (_, i) => ({ subject: `a${i}` })),
			)
			.map((m) => m.id);
		const f = fake.addMessages(UPN, 'Finance', [{ subject: 'invoice' }]).map((m) => m.id);
		const first = await harness.poll();
		expect(first![0].map((item) => item.json.id).sort()).toEqual([...a, ...f].sort());
		expect(first![0].map((item) => item.json.id)).not.toContain(old[0].id); // before the 30-day start date
		expect(await harness.poll()).toBeNull();

		fake.markRead(UPN, 'Inbox', a.slice(0, 3));
		const b = fake.addMessages(UPN, 'Inbox', [{ subject: 'b' }]).map((m) => m.id);
		expect((await harness.poll())![0].map((item) => item.json.id)).toEqual(b);

		fake.expireDeltaTokens(UPN, 'Inbox');
		const c = fake.addMessages(UPN, 'Inbox', [{ subject: 'c' }]).map((m) => m.id);
		expect((await harness.poll())![0].map((item) => item.json.id)).toEqual(c);
		expect(harness.emittedIds().sort()).toEqual([...a, ...f, ...b, ...c].sort());
	});

	it('honours Max Emails per Run without skipping any message', async () => {
		harness = await startHarness(new Microsoft365MailPollTrigger(), {
			parameters: { mailboxes: UPN, options: { maxItemsPerRun: 10 } },
			credentials: credentials(),
		});
		const ids = fake
			.addMessages(
				UPN,
				'Inbox',
				Array.from({ length: 35 }, (_, i) => ({ subject: `m${i}` })),
			)
			.map((m) => m.id);
		const sizes: number[] = [];
		for (let i = 0; i < 6; i++) sizes.push((await harness.poll())?.[0].length ?? 0);
		expect(sizes.slice(0, 4)).toEqual([10, 10, 10, 5]);
		expect(sizes.slice(4)).toEqual([0, 0]);
		expect(harness.emittedIds().sort()).toEqual([...ids].sort());
	});

	it('a wrong secret fails the first (and manual) run with the field to fix', async () => {
		harness = await startHarness(new Microsoft365MailPollTrigger(), {
			parameters: { mailboxes: UPN },
			credentials: credentials('wrong'),
		});
		await expect(harness.poll('manual')).rejects.toMatchObject({
			description: expect.stringContaining('clientSecret'),
		});
		await expect(harness.poll()).rejects.toThrow(/Invalid client secret/);
	});

	it('a bad mailbox entry names the parameter', async () => {
		harness = await startHarness(new Microsoft365MailPollTrigger(), {
			parameters: { mailboxes: 'soc-at-contoso' },
			credentials: credentials(),
		});
		await expect(harness.poll('manual')).rejects.toMatchObject({
			description: expect.stringContaining('mailboxes'),
		});
	});
});
