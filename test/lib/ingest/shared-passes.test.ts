import { DEFAULT_POLICY } from '../../../lib/mail/policy';
import type { GraphTriggerState } from '../../../lib/providers/graph';
import { RedisSharedPasses } from '../../../lib/ingest/shared-passes';
import { RedisClient } from '../../../lib/redis/client';
import { startRedis, type LabServer } from '../../e2e/queue/servers';
import { fakeGraphConfig, startFakeGraph, type FakeGraph } from '../../fakes/graph';

/**
 * Several n8n processes serving one Microsoft 365 trigger's webhook (queue mode): each process
 * has its own memory, and each webhook call loads the static data n8n last saved. Here each
 * "process" is a fresh copy of the pack's modules (its own registry), the static data each call
 * loaded is a copy of the same snapshot, and the processes meet only in a real Redis, as they
 * would in n8n's queue mode.
 */
const OWNER = 'wf-queue:node-1:production';

type GraphModule = typeof import('../../../lib/providers/graph');

function processCopy(): GraphModule {
	let copy: GraphModule | undefined;
	jest.isolateModules(() => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		copy = require('../../../lib/providers/graph') as GraphModule;
	});
	return copy as GraphModule;
}

let redis: LabServer;
let fake: FakeGraph;
const clients: RedisClient[] = [];

beforeAll(async () => {
	redis = await startRedis();
	// Answers slow enough that two passes started together overlap.
	fake = await startFakeGraph({ defaultPageSize: 5, latencyMs: 15, mailboxConcurrency: 16 });
});
afterAll(async () => {
	for (const client of clients) client.close();
	await fake?.close();
	await redis?.stop();
});

function seed(upn: string, count: number, tag: string): string[] {
	return fake
		.addMessages(
			upn,
			'Inbox',
			Array.from({ length: count }, (_, i) => ({
				subject: `${tag} ${i}`,
				attachments: [{ name: `r${i}.pdf`, contentType: 'application/pdf', content: `pdf ${i}` }],
			})),
		)
		.map((m) => m.id);
}

function session(process: GraphModule, upn: string, shared: boolean) {
	return new process.GraphMailSession({
		config: fakeGraphConfig(fake),
		scopes: [{ upn, folder: 'Inbox' }],
		policy: DEFAULT_POLICY,
		since: new Date(Date.now() - 3_600_000),
		maxItemsPerPass: 10_000,
		lockPrefix: OWNER,
		pageSize: 5,
		...(shared ? { sharedPasses: sharedPasses() } : {}),
	});
}

/** The trigger's static data as n8n saved it after activation (its epoch set). */
function activated(upn: string): Partial<GraphTriggerState> {
	const activation = session(processCopy(), upn, false);
	const state = activation.prepareState({});
	activation.close();
	return JSON.parse(JSON.stringify(state)) as Partial<GraphTriggerState>;
}

/** One webhook call's delta pass in `process`, on its own copy of the static data. */
async function webhookPass(
	process: GraphModule,
	upn: string,
	staticData: Partial<GraphTriggerState>,
	shared: boolean,
): Promise<string[]> {
	const call = session(process, upn, shared);
	try {
		const parsed = await call.deltaPass({ upn, folder: 'Inbox' }, structuredClone(staticData));
		return (parsed ?? []).map((p) => p.email.id);
	} finally {
		call.close();
	}
}

function sharedPasses(): RedisSharedPasses {
	const client = new RedisClient({ host: redis.host, port: redis.port });
	clients.push(client);
	return new RedisSharedPasses(client);
}

function counts(ids: string[]): Map<string, number> {
	const seen = new Map<string, number>();
	for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
	return seen;
}

test('without shared passes, two processes that got the same burst both emit it (the gap this closes)', async () => {
	const upn = 'unshared@contoso.com';
	const snapshot = activated(upn);
	const added = seed(upn, 20, 'burst');
	const [a, b] = await Promise.all([
		webhookPass(processCopy(), upn, snapshot, false),
		webhookPass(processCopy(), upn, snapshot, false),
	]);
	const emitted = counts([...a, ...b]);
	expect([...emitted.values()].filter((n) => n > 1).length).toBe(added.length);
});

test('with shared passes in Redis, a burst split between two processes comes out once; a third process with stale static data starts from the newest cursor', async () => {
	const upn = 'shared@contoso.com';
	const snapshot = activated(upn);
	const first = seed(upn, 20, 'burst');
	const [a, b] = await Promise.all([
		webhookPass(processCopy(), upn, snapshot, true),
		webhookPass(processCopy(), upn, snapshot, true),
	]);
	expect(counts([...a, ...b])).toEqual(new Map(first.map((id) => [id, 1])));
	// A call that loaded static data before either process's n8n saved its cursor.
	const later = seed(upn, 3, 'later');
	const c = await webhookPass(processCopy(), upn, snapshot, true);
	expect(c.sort()).toEqual([...later].sort());
});

test('a pass that fails releases the lease: the next process passes at once', async () => {
	const passes = sharedPasses();
	await expect(
		passes.withLease('k-fail', async () => {
			throw new Error('Graph went away');
		}),
	).rejects.toThrow('Graph went away');
	const order: string[] = [];
	await Promise.all([
		passes.withLease('k-order', async () => {
			order.push('a start');
			await new Promise((resolve) => setTimeout(resolve, 50));
			order.push('a end');
		}),
		sharedPasses().withLease('k-order', async () => {
			order.push('b start');
			order.push('b end');
		}),
	]);
	expect(
		order.indexOf('a end') < order.indexOf('b start') ||
			order.indexOf('b end') < order.indexOf('a start'),
	).toBe(true);
	expect(await passes.withLease('k-fail', async () => 'free')).toBe('free');
});
