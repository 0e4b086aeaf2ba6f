import { Microsoft365MailPollTrigger } from '../../../nodes/Microsoft365MailPollTrigger/Microsoft365MailPollTrigger.node';
import { startFakeGraph, type FakeGraph } from '../../fakes/graph';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';

/**
 * The poll node in n8n-core's PollContext (one Workflow across polls, static data saved only
 * when a poll emits, as n8n does) against the Graph fake, on the paths that lost mail on main:
 * a second folder failing, a manual run before the active trigger, static data reset.
 */
const UPN = 'soc@contoso.com';

describe('Microsoft 365 Mail Poll Trigger: exactly once when things go wrong', () => {
	let fake: FakeGraph;
	let harness: Harness | undefined;
	const credentials = () => ({ microsoftGraphAppApi: fake.credentialData() });

	beforeEach(async () => {
		fake = await startFakeGraph({ defaultPageSize: 10 });
	});
	afterEach(async () => {
		await harness?.close();
		harness = undefined;
		await fake.close();
	});

	const ids = (list: Array<{ id: string }>) => list.map((m) => m.id);
	const sorted = (list: string[]) => [...list].sort();

	it('two folders, the second failing on its first pass: after recovery every message of both, once', async () => {
		harness = await startHarness(new Microsoft365MailPollTrigger(), {
			parameters: { mailboxes: `${UPN}\n${UPN}/Finance` },
			credentials: credentials(),
		});
		const inbox = ids(fake.addMessages(UPN, 'Inbox', [{ subject: 'i1' }, { subject: 'i2' }]));
		const finance = ids(fake.addMessages(UPN, 'Finance', [{ subject: 'f1' }]));
		fake.fault({
			method: 'GET',
			path: /mailFolders\/Finance\/messages\/delta/,
			status: 403,
			times: Infinity,
		});

		// First run: the failure is thrown (activation shows it), but the Inbox's items still go out.
		await expect(harness.poll()).rejects.toThrow();
		expect(sorted(harness.emittedIds())).toEqual(sorted(inbox));

		fake.clearFaults();
		await harness.poll();
		expect(await harness.poll()).toBeNull();
		expect(sorted(harness.emittedIds())).toEqual(sorted([...inbox, ...finance]));
	});

	it('a manual run (Fetch Test Event) leaves the active trigger every message', async () => {
		harness = await startHarness(new Microsoft365MailPollTrigger(), {
			parameters: { mailboxes: UPN },
			credentials: credentials(),
		});
		const all = ids(
			fake.addMessages(
				UPN,
				'Inbox',
				Array.from({ length: 5 }, (_, i) => ({ subject: `m${i}` })),
			),
		);
		const preview = await harness.poll('manual');
		expect(preview![0]).toHaveLength(1);
		expect(preview![0][0].json.id).toBe(all[all.length - 1]);

		const active = await harness.poll();
		expect(sorted(active![0].map((item) => String(item.json.id)))).toEqual(sorted(all));
	});

	it('static data reset: the next poll imports the start window again, never from a stale delta link', async () => {
		harness = await startHarness(new Microsoft365MailPollTrigger(), {
			parameters: { mailboxes: UPN },
			credentials: credentials(),
		});
		const before = ids(fake.addMessages(UPN, 'Inbox', [{ subject: 'a' }, { subject: 'b' }]));
		expect((await harness.poll())![0]).toHaveLength(2);
		harness.setStaticData({});
		const after = ids(fake.addMessages(UPN, 'Inbox', [{ subject: 'c' }]));
		const again = await harness.poll();
		expect(sorted(again![0].map((item) => String(item.json.id)))).toEqual(
			sorted([...before, ...after]),
		);
	});
});
