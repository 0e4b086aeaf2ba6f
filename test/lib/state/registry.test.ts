import { Region, clearOwner, ownerKey, region } from '../../../lib/state/registry';

describe('registry regions', () => {
	const spec = {
		holds: 'test values',
		key: 'owner:thing',
		clearedWhen: 'never in production',
	};

	it('is bounded: the least recently set entry is evicted first', () => {
		const r = new Region<number>({ ...spec, name: 'test.bounded', maxEntries: 2 });
		r.set('a', 1);
		r.set('b', 2);
		r.set('a', 3);
		r.set('c', 4);
		expect([r.get('a'), r.get('b'), r.get('c')]).toEqual([3, undefined, 4]);
	});

	it('expires entries after ttlMs', () => {
		let now = 0;
		const r = new Region<string>(
			{ ...spec, name: 'test.ttl', maxEntries: 10, ttlMs: 100 },
			() => now,
		);
		r.set('a', 'x');
		now = 100;
		expect(r.get('a')).toBe('x');
		now = 101;
		expect(r.get('a')).toBeUndefined();
	});

	it('disposes a value however it leaves: replaced, deleted, evicted, expired or cleared with its owner', () => {
		let now = 0;
		const disposed: string[] = [];
		const r = new Region<string>(
			{
				...spec,
				name: 'test.dispose',
				maxEntries: 2,
				ttlMs: 1000,
				dispose: (value) => disposed.push(value),
			},
			() => now,
		);
		r.set('o:a', 'replaced');
		r.set('o:a', 'deleted');
		r.delete('o:a');
		r.set('o:b', 'evicted');
		r.set('o:c', 'expired');
		r.set('o:d', 'kept');
		now = 2000;
		expect(r.get('o:c')).toBeUndefined();
		expect(disposed).toEqual(['replaced', 'deleted', 'evicted', 'expired']);
		r.set('o:d', 'kept');
		expect(disposed).toHaveLength(4);
		r.clearPrefix('o:');
		expect(disposed).toEqual(['replaced', 'deleted', 'evicted', 'expired', 'kept']);
	});

	it('clearOwner drops one owner in every region and leaves its manual twin alone', () => {
		const active = ownerKey('wf1', 'node1', false);
		const manual = ownerKey('wf1', 'node1', true);
		const disposed: number[] = [];
		const r = region<number>({
			...spec,
			name: 'test.clearOwner',
			maxEntries: 10,
			dispose: (value) => disposed.push(value),
		});
		r.set(`${active}:x`, 1);
		r.set(`${manual}:x`, 2);
		expect(clearOwner(active)).toBeGreaterThanOrEqual(1);
		expect(r.get(`${active}:x`)).toBeUndefined();
		expect(r.get(`${manual}:x`)).toBe(2);
		expect(disposed).toEqual([1]);
	});
});
