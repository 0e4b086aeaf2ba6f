import { mapLimited } from '../../../lib/util/limit';

/** A task per item that the test finishes by hand, so what runs at once is visible. */
function gate() {
	const waiting = new Map<
		number,
		{ resolve: (value: string) => void; reject: (error: Error) => void }
	>();
	let running = 0;
	let most = 0;
	const task = (item: number) =>
		new Promise<string>((resolve, reject) => {
			running++;
			most = Math.max(most, running);
			const settle = () => running--;
			waiting.set(item, {
				resolve: (value) => (settle(), resolve(value)),
				reject: (error) => (settle(), reject(error)),
			});
		});
	return { waiting, task, most: () => most };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mapLimited', () => {
	test('answers in input order with never more than the limit running, finishing in any order', async () => {
		const { waiting, task, most } = gate();
		const items = [0, 1, 2, 3, 4, 5, 6];
		const run = mapLimited(items, 3, task);
		for (const order of [2, 0, 1, 5, 3, 6, 4]) {
			while (!waiting.has(order)) await tick();
			waiting.get(order)!.resolve(`r${order}`);
		}
		expect(await run).toEqual(items.map((item) => `r${item}`));
		expect(most()).toBe(3);
	});

	test('after a failure it starts no further item and rejects with that failure', async () => {
		const { waiting, task } = gate();
		const run = mapLimited([0, 1, 2, 3, 4], 2, task);
		await tick();
		const failure = new Error('item 1 failed');
		waiting.get(1)!.reject(failure);
		await expect(run).rejects.toBe(failure);
		waiting.get(0)!.resolve('late');
		await tick();
		expect([...waiting.keys()].sort()).toEqual([0, 1]);
	});

	test('an empty list answers at once; a limit below 1 is refused', async () => {
		await expect(mapLimited([], 4, async () => 'x')).resolves.toEqual([]);
		await expect(mapLimited([1], 0, async () => 'x')).rejects.toThrow(RangeError);
	});
});
