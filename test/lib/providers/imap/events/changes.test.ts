import {
	changesAmongKnown,
	flagDiff,
	normalizeFlags,
} from '../../../../../lib/providers/imap/events';

/** The diff at the heart of the change pass, for both listings: QRESYNC (changed only) and complete. */
const known = () =>
	new Map<number, string[]>([
		[1, []],
		[2, ['\\Seen']],
		[3, ['$Phishing', '\\Seen']],
	]);

test('QRESYNC listing: a flag change is handed on with what was added and removed', () => {
	const changes = changesAmongKnown(
		3,
		known(),
		[{ uid: 2, flags: ['\\Flagged'], modseq: '9' }],
		[],
		false,
	);
	expect(changes).toEqual({
		updated: [
			{ uid: 2, flags: ['\\Flagged'], added: ['\\Flagged'], removed: ['\\Seen'], modseq: '9' },
		],
		deleted: [],
	});
});

test('a change reported again (it happened after the HIGHESTMODSEQ snapshot) has no diff: not handed on twice', () => {
	const map = known();
	map.set(2, ['\\Flagged']); // what the first report handed on
	expect(changesAmongKnown(3, map, [{ uid: 2, flags: ['\\Flagged'] }], [], false).updated).toEqual(
		[],
	);
});

test('VANISHED: known UIDs are deleted once; unknown, already gone or not yet handed on ones are not', () => {
	const map = known();
	const changes = changesAmongKnown(3, map, [], [3, 3, 7, 42], false);
	expect(changes.deleted).toEqual([3]);
	map.delete(3);
	expect(changesAmongKnown(3, map, [], [3], false).deleted).toEqual([]);
});

test('without QRESYNC the complete listing finds deletions as known UIDs missing from it', () => {
	const changes = changesAmongKnown(
		3,
		known(),
		[
			{ uid: 1, flags: ['\\Seen'] },
			{ uid: 3, flags: ['$Phishing', '\\Seen'] },
			{ uid: 4, flags: [] }, // above lastUid: its messageNew comes first
		],
		[],
		true,
	);
	expect(changes).toEqual({
		updated: [{ uid: 1, flags: ['\\Seen'], added: ['\\Seen'], removed: [] }],
		deleted: [2],
	});
});

test('without the flags handed on before (process restart) a change carries the flags only', () => {
	expect(changesAmongKnown(3, undefined, [{ uid: 1, flags: ['\\Seen'] }], [2, 9], false)).toEqual({
		updated: [{ uid: 1, flags: ['\\Seen'] }],
		deleted: [2],
	});
});

test('a message changed and deleted in the same pass: only its deletion', () => {
	const changes = changesAmongKnown(3, known(), [{ uid: 1, flags: ['\\Deleted'] }], [1], false);
	expect(changes).toEqual({ updated: [], deleted: [1] });
});

test('flag helpers: \\Recent is session state, order does not matter', () => {
	expect(normalizeFlags(new Set(['\\Seen', '\\Recent', '$Label']))).toEqual(['$Label', '\\Seen']);
	expect(flagDiff(['a', 'b'], ['b', 'a'])).toBeUndefined();
});
