// What the webhook node's activation owns between notifications (issue "Microsoft 365 under
// pressure"): renewal without mail, a backlog that drains without more mail, and a deactivation
// that says what it could not delete.
import type { INodeParameters } from 'n8n-workflow';
import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';

import { Microsoft365MailTrigger } from '../../../nodes/Microsoft365MailTrigger/Microsoft365MailTrigger.node';
import { RENEWAL_CHECK_MS, renewalInFlight, renewalsScheduled } from '../../../lib/providers/graph';
import { ownerKey } from '../../../lib/state/registry';
import { startFakeGraph, type FakeGraph } from '../../fakes/graph';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';

const UPN = 'soc@contoso.com';
const WORKFLOW = 'wf-activation-lifetime';
const NODE_ID = 'b6f8c1a0-0000-4000-8000-000000000001';
const OWNER = ownerKey(WORKFLOW, NODE_ID, false);
const HOUR = 3_600_000;
/** Only the calendar and the schedule's interval are virtual; sockets and timeouts are real. */
const REAL_TIME = [
	'hrtime',
	'nextTick',
	'performance',
	'queueMicrotask',
	'setImmediate',
	'clearImmediate',
	'setTimeout',
	'clearTimeout',
] as const;

describe('Microsoft 365 Mail Trigger (webhook): what the activation owns', () => {
	let fake: FakeGraph;
	let harness: Harness;

	async function start(options: INodeParameters = {}) {
		fake = await startFakeGraph({ defaultPageSize: 10 });
		harness = await startHarness(new Microsoft365MailTrigger(), {
			workflowId: WORKFLOW,
			parameters: { mailboxes: UPN, options },
			credentials: { microsoftGraphAppApi: fake.credentialData() },
		});
	}

	afterEach(async () => {
		jest.useRealTimers();
		await harness.deactivate().catch(() => undefined);
		await fake.settle();
		await harness.close();
		await fake.close();
		jest.restoreAllMocks();
	});

	it('a mailbox without any mail for 8 days keeps its subscription: the activation renews it on its own schedule', async () => {
		jest.useFakeTimers({ now: Date.now(), doNotFake: [...REAL_TIME] });
		await start();
		await harness.activate();
		expect(renewalsScheduled(OWNER)).toBe(true);
		const [sub] = [...fake.subscriptions.values()];

		for (let hour = 1; hour <= 8 * 24; hour++) {
			await jest.advanceTimersByTimeAsync(RENEWAL_CHECK_MS);
			await renewalInFlight(OWNER);
		}

		// Graph's own rule (the fake's): a subscription past its expirationDateTime is gone.
		expect(fake.subscriptions.get(sub.id)).toBeDefined();
		expect(Date.parse(fake.subscriptions.get(sub.id)!.expirationDateTime)).toBeGreaterThan(
			Date.now() + 24 * HOUR,
		);
		const renewals = fake.events.filter((e) => e.type === 'renewed');
		// Created with ~7 days; renewed once it had < 24 h left (day 6), then again 6 days later.
		expect(renewals.length).toBeGreaterThanOrEqual(1);
		expect(renewals.length).toBeLessThanOrEqual(2);
		expect(fake.events.filter((e) => e.type === 'created')).toHaveLength(1);
		expect(harness.executions).toHaveLength(0);

		expect(await harness.deactivate()).toBe(true);
		expect(renewalsScheduled(OWNER)).toBe(false);
		expect(fake.subscriptions.size).toBe(0);
	});

	it('the renewal round never recreates a subscription Graph dropped (in queue mode its record would be unknown to the webhook processors): it says so', async () => {
		jest.useFakeTimers({ now: Date.now(), doNotFake: [...REAL_TIME] });
		await start();
		await harness.activate();
		const [sub] = [...fake.subscriptions.values()];
		const errors = jest.spyOn(Container.get(Logger), 'error');
		fake.subscriptions.delete(sub.id);

		for (let hour = 1; hour <= 7 * 24; hour++) {
			await jest.advanceTimersByTimeAsync(RENEWAL_CHECK_MS);
			await renewalInFlight(OWNER);
		}

		expect(fake.events.filter((e) => e.type === 'created')).toHaveLength(1);
		expect(fake.subscriptions.size).toBe(0);
		const logged = errors.mock.calls.map(([message]) => String(message));
		expect(logged.some((line) => line.includes(`${sub.id} of ${UPN} / Inbox is gone`))).toBe(true);
	});

	it('30 new messages and no further mail: all 30 are emitted, even with the old "Max Emails per Run" of 10 saved on the node', async () => {
		await start({ maxItemsPerRun: 10 });
		await harness.activate();
		// 29 messages whose notifications Graph drops, then one whose notification arrives: one
		// webhook call for all 30, and nothing else ever arrives.
		fake.notificationPolicy.auto = false;
		fake.addMessages(
			UPN,
			'Inbox',
			Array.from({ length: 29 }, (_, i) => ({ subject: `backlog ${i}` })),
		);
		fake.notificationPolicy.dropRate = 1;
		expect(await fake.flushNotifications()).toEqual([]);
		fake.notificationPolicy.dropRate = 0;
		fake.addMessages(UPN, 'Inbox', [{ subject: 'backlog 29' }]);
		expect(await fake.flushNotifications()).toHaveLength(1);
		await fake.settle();
		await harness.settle();
		const subjects = harness.executions.flatMap((e) => e.items.map((item) => item.json.subject));
		expect(subjects.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `backlog ${i}`).sort());
	});

	it('deactivation deletes with a fresh token after a revoked one, and names a subscription it could not delete', async () => {
		await start();
		await harness.activate();
		const [sub] = [...fake.subscriptions.values()];
		const errors = jest.spyOn(Container.get(Logger), 'error');

		fake.revokeTokens();
		fake.fault({ method: 'DELETE', path: /\/subscriptions\//, status: 500, times: 10 });
		expect(await harness.deactivate()).toBe(false);
		expect(fake.subscriptions.get(sub.id)).toBeDefined();
		const report = errors.mock.calls.map(([message]) => String(message)).join('\n');
		expect(report).toContain(sub.id);
		expect(report).toContain(UPN);
		expect(report).toContain(`DELETE /subscriptions/${sub.id}`);
		expect(renewalsScheduled(OWNER)).toBe(false);

		fake.clearFaults();
		fake.revokeTokens();
		const issued = fake.tokensIssued;
		expect(await harness.deactivate()).toBe(true);
		expect(fake.tokensIssued).toBeGreaterThan(issued);
		expect(fake.subscriptions.size).toBe(0);
	});
});
