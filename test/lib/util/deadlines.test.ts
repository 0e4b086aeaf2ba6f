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
