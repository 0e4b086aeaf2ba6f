import type { ImapFlow } from 'imapflow';

import { listFlags, listNew } from '../../../../../lib/providers/imap/events/pass';

/**
 * A client whose FETCH yields the given responses: imapflow hands on every untagged FETCH that
 * comes while its command runs, the server's unsolicited flag updates (another client changed a
 * message's flags: FLAGS, UID, MODSEQ, no size) among them.
 */
function clientAnswering(responses: object[]): ImapFlow {
	return {
		async *fetch() {
			yield* responses;
		},
	} as unknown as ImapFlow;
}

const listed = (uid: number, flags: string[], extra: object = {}) => ({
	uid,
	flags: new Set(flags),
	...extra,
});

describe('a change pass listing, with unsolicited flag updates among the answers', () => {
	test('listFlags names each UID once, as the last response said it, and only within 1:lastUid', async () => {
		const client = clientAnswering([
			listed(1, [], { modseq: 10n }),
			listed(2, ['\\Flagged'], { modseq: 11n }),
			listed(1, ['\\Seen'], { modseq: 12n }), // another client set \Seen meanwhile
			listed(9, ['\\Seen'], { modseq: 13n }), // above lastUid: not this listing's
			{ flags: new Set(['\\Seen']) }, // no UID: cannot be placed
		]);
		expect(await listFlags(client, 3, '9')).toEqual([
			{ uid: 2, flags: ['\\Flagged'], modseq: '11' },
			{ uid: 1, flags: ['\\Seen'], modseq: '12' },
		]);
	});

	test("listNew takes only the FETCH's own answers: one summary per new message, with its size and date", async () => {
		const arrived = new Date('2026-12-02T10:00:00Z');
		const client = clientAnswering([
			listed(5, [], { modseq: 20n }), // an update for a new message before its answer
			listed(5, [], { size: 1200, internalDate: arrived }),
			listed(6, ['\\Seen'], { size: 800, internalDate: arrived }),
			listed(5, ['\\Seen'], { modseq: 21n }), // and one after it
		]);
		const found = await listNew(client, 'alice', 'INBOX', '7', 4);
		expect(found.map((summary) => [summary.uid, summary.size])).toEqual([
			[5, 1200],
			[6, 800],
		]);
	});
});
