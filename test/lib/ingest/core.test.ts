import { MailIntelError } from '../../../lib/errors';
import { ingest, type IngestOptions, type IngestResult } from '../../../lib/ingest/core';
import type { IngestSource, Processed } from '../../../lib/ingest/source';
import { currentState, newState, type IngestState } from '../../../lib/ingest/state';
import type { ChangeBatch, MessageSummary } from '../../../lib/mail/message-ref';

/**
 * The ingest core against an in-memory mailbox: messages 1..n in a scope, a cursor that is
 * "the last id emitted", and failures a test switches on per message. What a user relies on:
 * every message once, in order, whatever fails, and a cursor that never passes an item that
 * did not leave.
 */
interface Box {
	ids: number[];
	/** id -> how it fails while building (transient unless `permanent`) */
	failing: Map<number, { permanent?: boolean; times: number }>;
	builds: number;
}

type Cursor = { last: number };
type Item = { id: number; failure?: string };

function summary(scope: string, id: number): MessageSummary {
	return { provider: 'imap', account: 'a', mailbox: scope, id: String(id), uid: id };
}

function source(scope: string, box: Box, pageSize = 3): IngestSource<Cursor, Item> {
	return {
		scope,
		async *changes(cursor, limit) {
			const ids = box.ids.filter((id) => id > (cursor?.last ?? 0)).slice(0, limit);
			for (let i = 0; i < ids.length; i += pageSize) {
				const page = ids.slice(i, i + pageSize);
				yield {
					messages: page.map((id) => summary(scope, id)),
					cursor: { last: page[page.length - 1] },
					more: i + pageSize < ids.length,
				} satisfies ChangeBatch<Cursor>;
			}
		},
		async *build(messages, options) {
			for (const message of messages) {
				box.builds++;
				const id = Number(message.id);
				const failing = box.failing.get(id);
				if (failing && failing.times > 0) {
					failing.times--;
					if (!options.recordTransientFailures(message.id) || failing.permanent)
						throw new MailIntelError(`message ${id} failed`, {
							source: 'imap',
							retryable: !failing.permanent,
							...(failing.permanent ? { code: 'NOT_FOUND', status: 404 } : {}),
						});
					yield { summary: message, item: { id, failure: 'recorded on a part' } };
					continue;
				}
				yield { summary: message, item: { id } };
			}
		},
		cursorAfter(before, batch, done: Processed<Item>[]) {
			if (done.length === batch.messages.length) return batch.cursor;
			const last = done[done.length - 1];
			return last ? { last: Number(last.summary.id) } : before;
		},
		async failedItem(message, error) {
			return { id: Number(message.id), failure: `${error.code}: ${error.message}` };
		},
	};
}

const options = (extra: Partial<IngestOptions> = {}): IngestOptions => ({
	memoryKey: `test-${Math.random()}`,
	limit: 1000,
	batchSize: 1000,
	retryBudget: 3,
	...extra,
});

async function run(
	state: IngestState<Cursor>,
	sources: Array<IngestSource<Cursor, Item>>,
	opts: IngestOptions,
	onBatch?: (items: Item[], state: IngestState<Cursor>) => void,
): Promise<{ items: Item[]; result: IngestResult; batches: number[] }> {
	const items: Item[] = [];
	const batches: number[] = [];
	const generator = ingest(state, sources, opts);
	for (let step = await generator.next(); ; step = await generator.next()) {
		if (step.done) return { items, result: step.value, batches };
		items.push(...step.value);
		batches.push(step.value.length);
		onBatch?.(step.value, structuredClone(state));
	}
}

const box = (n: number): Box => ({
	ids: Array.from({ length: n }, (_, i) => i + 1),
	failing: new Map(),
	builds: 0,
});

test('batches of at most batchSize, each with the state that covers exactly what left so far', async () => {
	const inbox = box(10);
	const state = newState<Cursor>('acct');
	const seen: Array<{ ids: number[]; last?: number }> = [];
	const { items, batches } = await run(
		state,
		[source('INBOX', inbox)],
		options({ batchSize: 4 }),
		(batch, snapshot) =>
			seen.push({ ids: batch.map((i) => i.id), last: snapshot.scopes.INBOX.cursor?.last }),
	);
	expect(items.map((i) => i.id)).toEqual(inbox.ids);
	expect(batches).toEqual([4, 4, 2]);
	// The cursor stored with each batch is the last id of that batch: a crash after any batch
	// resumes right after it.
	expect(seen.map((s) => s.last)).toEqual([4, 8, 10]);
});

test('a transient failure stops the scope at that message, keeps what came before, and the next run resumes there', async () => {
	const inbox = box(7);
	inbox.failing.set(5, { times: 1 });
	const state = newState<Cursor>('acct');
	const opts = options();
	const first = await run(state, [source('INBOX', inbox)], opts);
	expect(first.items.map((i) => i.id)).toEqual([1, 2, 3, 4]);
	expect(first.result.failures.map((f) => f.scope)).toEqual(['INBOX']);
	expect(state.scopes.INBOX.cursor).toEqual({ last: 4 });

	const second = await run(state, [source('INBOX', inbox)], opts);
	expect(second.items.map((i) => i.id)).toEqual([5, 6, 7]);
	expect(second.result.failures).toEqual([]);
});

test('one failing scope does not hold back the others', async () => {
	const a = box(3);
	const b = box(3);
	a.failing.set(1, { times: 1 });
	const state = newState<Cursor>('acct');
	const opts = options();
	const first = await run(state, [source('A', a), source('B', b)], opts);
	expect(first.items.map((i) => i.id)).toEqual([1, 2, 3]); // B's three
	expect(state.scopes.A.cursor).toBeUndefined();
	expect(state.scopes.B.cursor).toEqual({ last: 3 });
	const second = await run(state, [source('A', a), source('B', b)], opts);
	expect(second.items.map((i) => i.id)).toEqual([1, 2, 3]); // A's three, B's not again
});

test('a permanent failure of a whole message emits it carrying the failure; the scope flows on', async () => {
	const inbox = box(4);
	inbox.failing.set(2, { times: Infinity, permanent: true });
	const { items, result } = await run(newState('acct'), [source('INBOX', inbox)], options());
	expect(items.map((i) => i.id)).toEqual([1, 2, 3, 4]);
	expect(items[1].failure).toMatch(/^NOT_FOUND: /);
	expect(result.failures).toEqual([]);
});

test('a message failing transiently on every run is let through after the retry budget, its failure recorded', async () => {
	const inbox = box(3);
	inbox.failing.set(2, { times: Infinity });
	const state = newState<Cursor>('acct');
	const opts = options({ retryBudget: 3 });
	const emitted: Item[] = [];
	for (let runNo = 1; runNo <= 3; runNo++) {
		const { items, result } = await run(state, [source('INBOX', inbox)], opts);
		emitted.push(...items);
		if (runNo < 3) expect(result.failures).toHaveLength(1);
		else expect(result.failures).toEqual([]);
	}
	expect(emitted.map((i) => i.id)).toEqual([1, 2, 3]);
	// The third run built it with its part failures recorded (recordTransientFailures).
	expect(emitted[1].failure).toBe('recorded on a part');
});

test('a message that cannot be built even with failures recorded is emitted as RETRIES_EXHAUSTED', async () => {
	const inbox = box(2);
	const failing = { times: Infinity };
	inbox.failing.set(1, failing);
	const state = newState<Cursor>('acct');
	const opts = options({ retryBudget: 2 });
	const src = source('INBOX', inbox);
	// A source whose build throws whatever the option says (the body itself cannot be read).
	const stubborn: IngestSource<Cursor, Item> = {
		...src,
		async *build(messages, build) {
			for await (const processed of src.build(messages, { recordTransientFailures: () => false }))
				yield processed;
			void build;
		},
	};
	const first = await run(state, [stubborn], opts);
	expect(first.items).toEqual([]);
	const second = await run(state, [stubborn], opts);
	expect(second.items.map((i) => i.id)).toEqual([1, 2]);
	expect(second.items[0].failure).toMatch(/^RETRIES_EXHAUSTED: failed on 2 runs in a row/);
});

test('limit: at most `limit` items in one run, the rest next run, none skipped', async () => {
	const inbox = box(10);
	const state = newState<Cursor>('acct');
	const opts = options({ limit: 4, batchSize: 2 });
	const all: number[] = [];
	for (let i = 0; i < 3; i++) {
		const { items, result } = await run(state, [source('INBOX', inbox)], opts);
		all.push(...items.map((x) => x.id));
		expect(items.length).toBeLessThanOrEqual(4);
		if (i < 2) expect(result.more).toBe(true);
	}
	expect(all).toEqual(inbox.ids);
});

test('state: another account starts anew, removed scopes are dropped, a stored state is kept', () => {
	const stored = newState<Cursor>('acct');
	stored.scopes.INBOX = { cursor: { last: 5 } };
	stored.scopes.Old = { cursor: { last: 1 } };
	const same = currentState(stored, 'acct', ['INBOX']);
	expect(same.epoch).toBe(stored.epoch);
	expect(same.scopes).toEqual({ INBOX: { cursor: { last: 5 } } });
	const other = currentState(stored, 'other-account', ['INBOX']);
	expect(other.epoch).not.toBe(stored.epoch);
	expect(other.scopes).toEqual({});
});
