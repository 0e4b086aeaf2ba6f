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
