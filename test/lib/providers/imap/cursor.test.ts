import {
	EMITTED_KEYS_CAP,
	emittedKey,
	emittedKeyOfEmail,
	mailboxWasReset,
	rememberEmitted,
} from '../../../../lib/providers/imap/cursor';
import {
	fetchGroups,
	STREAM_THRESHOLD_BYTES,
	uidSet,
} from '../../../../lib/providers/imap/provider';
import type { MessageSummary } from '../../../../lib/providers/types';

test('emitted keys: same Message-ID + date = same key; otherwise different', () => {
	const a = emittedKey({ messageId: '<a@x>', date: '2026-01-01T00:00:00Z' });
	expect(emittedKey({ messageId: '<a@x>', date: '2026-01-01T00:00:00Z' })).toBe(a);
	expect(emittedKey({ messageId: '<a@x>', date: '2026-01-02T00:00:00Z' })).not.toBe(a);
	// Comments and folding around the Message-ID do not change the key.
	expect(emittedKey({ messageId: ' <a@x> (sent by mta)', date: '2026-01-01T00:00:00Z' })).toBe(a);
	// Without a Message-ID, date and size stand in.
	expect(emittedKey({ date: 'd', size: 1 })).not.toBe(emittedKey({ date: 'd', size: 2 }));
	// The parsed email and the raw header lines give the same key (the re-scan relies on it).
	expect(emittedKeyOfEmail({ messageId: '<a@x>', date: '2026-01-01T00:00:00Z', size: 5 })).toBe(a);
	expect(
		emittedKeyOfEmail({ messageId: '<a@x>', date: '2026-01-01T00:00:00Z', dateFromReceived: true }),
	).not.toBe(a);
});

test('the emitted-key memory is bounded and keeps the newest', () => {
	const many = Array.from({ length: EMITTED_KEYS_CAP + 10 }, (_, i) => `k${i}`);
	const kept = rememberEmitted(['old'], many);
	expect(kept).toHaveLength(EMITTED_KEYS_CAP);
	expect(kept.at(-1)).toBe(`k${EMITTED_KEYS_CAP + 9}`);
	expect(kept).not.toContain('old');
});

test('a mailbox counts as reset on new UIDVALIDITY, UIDNEXT at/below an emitted UID, or HIGHESTMODSEQ going back', () => {
	const cursor = { uidValidity: '7', lastUid: 10, highestModseq: '50' };
	expect(mailboxWasReset(cursor, { uidValidity: '7', uidNext: 11, highestModseq: '50' })).toBe(
		false,
	);
	expect(mailboxWasReset(cursor, { uidValidity: '8', uidNext: 11 })).toBe(true);
	expect(mailboxWasReset(cursor, { uidValidity: '7', uidNext: 4 })).toBe(true);
	expect(mailboxWasReset(cursor, { uidValidity: '7', uidNext: 12, highestModseq: '3' })).toBe(true);
});

test('UID sets are compact ranges', () => {
	expect(uidSet([5, 1, 2, 3, 9, 10, 12])).toBe('1:3,5,9:10,12');
});

test('bulk FETCH groups are bounded; a large message is streamed on its own', () => {
	const m = (uid: number, size: number) => ({ uid, size }) as MessageSummary;
	const groups = fetchGroups([m(1, 10), m(2, STREAM_THRESHOLD_BYTES + 1), m(3, 10), m(4, 10)]);
	expect(groups.map((group) => group.map((x) => x.uid))).toEqual([[1], [2], [3, 4]]);
});
