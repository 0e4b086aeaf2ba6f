import { Throttle } from '../../../lib/http';
import { virtualClock } from '../../helpers/virtual-clock';

describe('Throttle (one per Graph mailbox)', () => {
	it('never admits more than its limit, and a slot is free only once released', async () => {
		const throttle = new Throttle(4);
		const releases = await Promise.all(Array.from({ length: 4 }, () => throttle.admit()));
		let fifth = false;
		const waiting = throttle.admit().then((release) => {
			fifth = true;
			return release;
		});
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(fifth).toBe(false);
		releases[0]();
		releases[0](); // releasing twice frees one slot, not two
		(await waiting)();
		expect(throttle.active).toBe(3);
		for (const release of releases.slice(1)) release();
		expect(throttle.active).toBe(0);
	});

	it('a pause holds every request until it has passed, then resumes one at a time, doubling on success', async () => {
		const { clock, waits, at } = virtualClock();
		const throttle = new Throttle(4, clock);
		throttle.pause(1000);
		const admitted: number[] = [];
		const order: number[] = [];
		const requests = Array.from({ length: 6 }, (_, index) =>
			throttle.admit().then((release) => {
				admitted.push(at());
				order.push(index);
				return release;
			}),
		);
		const first = await requests[0];
		expect(waits).toEqual([1000]); // one shared wait for the whole mailbox
		expect(admitted).toEqual([1000]);
		expect(throttle.active).toBe(1); // one at a time after a pause
		throttle.succeeded(); // limit 2
		first();
		const [second, third] = await Promise.all([requests[1], requests[2]]);
		expect(throttle.active).toBe(2);
		throttle.succeeded(); // limit 4
		second();
		third();
		await Promise.all(requests.slice(3));
		expect(throttle.active).toBe(3);
		expect(order).toEqual([0, 1, 2, 3, 4, 5]);
		expect(admitted.every((time) => time >= 1000)).toBe(true);
	});

	it('while throttled, a freed slot lets the answers that arrived with it be read first; in calm times it is handed on at once', async () => {
		let now = 1_000_000;
		const throttle = new Throttle(1, { now: () => now, sleep: async () => undefined });
		/** Whether the next request is admitted before an I/O turn queued alongside it. */
		const admittedBeforeIo = async () => {
			const held = await throttle.admit();
			const order: string[] = [];
			const next = throttle.admit().then((release) => {
				order.push('admitted');
				release();
			});
			setImmediate(() => order.push('other answers read'));
			held();
			await next;
			await new Promise((resolve) => setImmediate(resolve));
			return order[0] === 'admitted';
		};
		expect(await admittedBeforeIo()).toBe(true);
		throttle.pause(2_000);
		now += 2_000; // the pause has passed; the unit is still counted as throttled for a minute
		expect(await admittedBeforeIo()).toBe(false);
		now += 60_000;
		expect(await admittedBeforeIo()).toBe(true);
	});
});
