import v8 from 'node:v8';
import vm from 'node:vm';

import { Deadlines } from '../../../lib/util/deadlines';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Deadlines (many waits on one timer)', () => {
	it('expires each deadline once it has passed, in time order; a deleted one never runs', async () => {
		const deadlines = new Deadlines();
		const expired: string[] = [];
		deadlines.add(120, () => void expired.push('late'));
		const dropped = deadlines.add(60, () => void expired.push('dropped'));
		deadlines.add(30, () => void expired.push('early'));
		deadlines.delete(dropped);
		await pause(200);
		expect(expired).toEqual(['early', 'late']);
		expect(deadlines.size).toBe(0);
	});

	it('runs a deadline no earlier than asked, by the monotonic clock', async () => {
		const deadlines = new Deadlines();
		const started = performance.now();
		const ran = await new Promise<number>((resolve) =>
			deadlines.add(50, () => void resolve(performance.now())),
		);
		expect(ran - started).toBeGreaterThanOrEqual(50);
	});

	it('a deadline that answers a later time runs again then (an idle watch whose bytes kept coming)', async () => {
		const deadlines = new Deadlines();
		const runs: number[] = [];
		deadlines.add(20, () => {
			runs.push(runs.length);
			return runs.length < 3 ? performance.now() + 20 : undefined;
		});
		await pause(200);
		expect(runs).toEqual([0, 1, 2]);
		expect(deadlines.size).toBe(0);
	});

	it('restarting a deadline (a new phase of the same wait) replaces its time and what it does', async () => {
		const deadlines = new Deadlines();
		const expired: string[] = [];
		const wait = deadlines.add(30, () => void expired.push('connect'));
		deadlines.restart(wait, 80, () => void expired.push('response'));
		await pause(50);
		expect(expired).toEqual([]);
		await pause(100);
		expect(expired).toEqual(['response']);
	});
});

describe('Deadlines, what a deleted deadline keeps', () => {
	it('a deadline deleted by an earlier expiry of the same firing never runs', async () => {
		let now = 0; // both fall due at the same moment, whenever the timer runs
		const deadlines = new Deadlines(() => now);
		const expired: string[] = [];
		// The first one's expiry ends the second's wait (a scan run's stop settling a request
		// whose own timeout is due at the same moment).
		deadlines.add(20, () => {
			expired.push('first');
			deadlines.delete(second);
		});
		const second = deadlines.add(20, () => void expired.push('second'));
		now = 100;
		await pause(80);
		expect(expired).toEqual(['first']);
		expect(deadlines.size).toBe(0);
	});

	it('a deleted deadline holds no link to the deadlines still waiting (dead entries pin nothing)', () => {
		const deadlines = new Deadlines();
		const waiting = [deadlines.add(1_000, () => undefined), deadlines.add(1_000, () => undefined)];
		const done = deadlines.add(1_000, () => undefined);
		waiting.push(deadlines.add(1_000, () => undefined));
		deadlines.delete(done);
		for (const value of Object.values(done)) expect(waiting).not.toContain(value);
		for (const deadline of waiting) deadlines.delete(deadline);
		expect(deadlines.size).toBe(0);
	});
});

/**
 * V8's own `gc` (Jest's context has none): the flag is on only while a fresh context is made,
 * so the other test files of this worker see no `gc`.
 */
function v8Gc(): (options?: { type: 'minor' | 'major' }) => void {
	v8.setFlagsFromString('--expose-gc');
	try {
		return vm.runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
	} finally {
		v8.setFlagsFromString('--no-expose-gc');
	}
}

describe('Deadlines of a long-lived owner, through young-generation GCs', () => {
	// What the Set-based list of round 15 did (docs/performance.md, round 16): at every rehash
	// the Set left its old table, in the old generation like the Set, still pointing at the
	// entries it held, and a scavenge takes every old-to-young pointer as alive. So finished
	// requests survived each scavenge, were promoted after two, and stayed until a full GC.
	// Measured here as the bytes left in the young generation after one scavenge, where the
	// survivors are copied one after the other: the same figure every run, whatever the old
	// generation is doing (its used size, read after the scavenges that promote, moved by up to
	// 100 KB between runs after a full GC, with its sweeping and free lists). WeakRefs cannot
	// show it: V8's scavenger keeps their targets (Node 20 and 24).
	const gc = v8Gc();
	const youngGenerationUsed = () =>
		v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_used_size;
	/** Empties the young generation: what is alive there survives twice and is promoted. */
	const promoteAll = () => {
		for (let i = 0; i < 3; i++) gc({ type: 'minor' });
	};
	/** The bytes that one scavenge finds alive of what `work` allocated; nothing else runs. */
	const survivingOneScavenge = <T>(work: () => T) => {
		promoteAll();
		const left = work();
		gc({ type: 'minor' });
		const survived = youngGenerationUsed();
		promoteAll();
		return { survived, left };
	};
	/** An owner (a transport) that outlives its requests: its list is in the old generation. */
	const longLived = () => {
		const deadlines = new Deadlines();
		promoteAll();
		return deadlines;
	};
	// 256 requests of ~1 KB: well under a semi-space (1 MB at least), so V8 runs no scavenge of
	// its own while they are alive, and enough additions for a Set to rehash six times.
	const REQUESTS = 256;
	const requestsInFlight = (deadlines: Deadlines) => {
		const waits = [];
		for (let i = 0; i < REQUESTS; i++) {
			const request = { id: i, body: new Array<number>(128).fill(i) };
			waits.push(deadlines.add(60_000, () => void request.body.fill(0)));
		}
		return waits;
	};

	it('a deleted deadline does not keep what its callback holds alive until a full GC', () => {
		const finished = survivingOneScavenge(() => {
			const deadlines = longLived();
			for (const wait of requestsInFlight(deadlines)) deadlines.delete(wait);
		});
		// The measure itself: deadlines still waiting keep their requests (as they must), and
		// the scavenge finds them; at least 128 numbers of 4 bytes each per request.
		const deadlines = longLived();
		const waiting = survivingOneScavenge(() => requestsInFlight(deadlines));
		for (const wait of waiting.left) deadlines.delete(wait);
		expect(waiting.survived).toBeGreaterThan(REQUESTS * 128 * 4);

		const shareOfFinishedRequestsKept = finished.survived / waiting.survived;
		expect(shareOfFinishedRequestsKept).toBeLessThan(0.1);
	});
});
