/**
 * Email Intel IMAP node, Message: List, on a loopback Dovecot. Prints one JSON line:
 *
 * p11_list_page_ratio — median time to list page 0 (the 50 newest, light entries) of a
 *   100,000-message mailbox ÷ of a 1,000-message one, as the node does it: a session on the
 *   shared connection pool, which hands back the connection still on that mailbox from the
 *   previous listing (pool.ts), NOOP, the newest UID (the snapshot), one FETCH of a sequence
 *   range (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE), the connection back.
 *   The two mailboxes take turns, 100 listings each, after one warm-up listing. Goal ≤ 1.5.
 * Also printed, for reading only: the same with a pool of one connection, which must leave one
 *   mailbox for the other each time (CLOSE, then EXAMINE: Dovecot reads the whole Maildir
 *   uidlist, so this is the first listing of a mailbox, or the old pool); a deep page (page
 *   1,000 of 2,000, a snapshot passed back, so one more UID SEARCH), and a search-filtered page
 *   0 (one UID SEARCH over the whole snapshot: linear in the mailbox by nature).
 */
import { listMessages, type ListOptions } from '../../lib/providers/imap/listing';
import { ImapConnectionPool } from '../../lib/providers/imap/pool';
import { ImapSession } from '../../lib/providers/imap/session';
import { settingsFor } from '../lib/providers/imap/poll-helper';
import { startDovecot, type DovecotServer } from '../imap/dovecot';

const BIG_MAILBOX = Number(process.env.IMAP_LIST_BENCH_BIG_MAILBOX ?? 100_000);
const SMALL_MAILBOX = 1000;
const SAMPLES = 100;
const PAGE_SIZE = 50;

const log = (text: string) => process.stderr.write(`${text}\n`);

const small = (i: number) =>
	`From: Sender ${i} <s${i}@example.org>\r\nTo: soc@example.com\r\nSubject: listed ${i}\r\nDate: Tue, 01 Dec 2026 04:00:00 +0000\r\nMessage-ID: <l${i}@example.org>\r\n\r\nbody ${i}\r\n`;

async function seed(server: DovecotServer, mailbox: string, count: number): Promise<void> {
	for (let done = 0; done < count; done += 20_000) {
		const n = Math.min(20_000, count - done);
		await server.seed(
			'alice',
			mailbox,
			Array.from({ length: n }, (_, i) => small(done + i)),
		);
	}
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median milliseconds of one listing per mailbox, the mailboxes taking turns. */
async function medians(
	server: DovecotServer,
	pool: ImapConnectionPool,
	mailboxes: string[],
	options: (mailbox: string) => ListOptions,
): Promise<number[]> {
	const once = async (mailbox: string) => {
		const session = new ImapSession(settingsFor(server), { pool });
		const started = process.hrtime.bigint();
		try {
			const page = await listMessages(session, mailbox, options(mailbox));
			if (page.messages.length !== PAGE_SIZE)
				throw new Error(`${mailbox}: expected ${PAGE_SIZE} entries, got ${page.messages.length}`);
		} finally {
			await session.close();
		}
		return Number(process.hrtime.bigint() - started) / 1e6;
	};
	for (const mailbox of mailboxes) await once(mailbox); // warm-up
	const samples = mailboxes.map(() => [] as number[]);
	for (let round = 0; round < SAMPLES; round++)
		for (const [index, mailbox] of mailboxes.entries()) samples[index].push(await once(mailbox));
	return samples.map(median);
}

async function main(): Promise<void> {
	const server = await startDovecot();
	const pool = new ImapConnectionPool();
	try {
		log(
			`seeding ${SMALL_MAILBOX.toLocaleString('en')} and ${BIG_MAILBOX.toLocaleString('en')} messages`,
		);
		await seed(server, 'Small', SMALL_MAILBOX);
		await seed(server, 'Big', BIG_MAILBOX);

		const [smallMs, bigMs] = await medians(server, pool, ['Small', 'Big'], () => ({
			page: 0,
			pageSize: PAGE_SIZE,
		}));
		log(
			`page 0 median: 1,000 msgs ${smallMs.toFixed(2)} ms, ${BIG_MAILBOX} msgs ${bigMs.toFixed(2)} ms`,
		);
		// One idle connection at most: each listing finds it on the other mailbox.
		const onePool = new ImapConnectionPool({ maxIdlePerAccount: 1 });
		const [coldSmallMs, coldBigMs] = await medians(server, onePool, ['Small', 'Big'], () => ({
			page: 0,
			pageSize: PAGE_SIZE,
		})).finally(() => onePool.closeAll());
		log(
			`page 0 median with EXAMINE each time: ${coldSmallMs.toFixed(2)} ms vs ${coldBigMs.toFixed(2)} ms`,
		);

		const snapshots = new Map<string, number>();
		for (const mailbox of ['Small', 'Big']) {
			const session = new ImapSession(settingsFor(server), { pool });
			snapshots.set(
				mailbox,
				(await listMessages(session, mailbox, { page: 0, pageSize: 1 })).snapshot,
			);
			await session.close();
		}
		const [, deepMs] = await medians(server, pool, ['Small', 'Big'], (mailbox) => ({
			page: mailbox === 'Big' ? Math.floor(BIG_MAILBOX / PAGE_SIZE / 2) : 10,
			pageSize: PAGE_SIZE,
			snapshot: snapshots.get(mailbox),
		}));
		const [smallSearchMs, bigSearchMs] = await medians(server, pool, ['Small', 'Big'], () => ({
			page: 0,
			pageSize: PAGE_SIZE,
			search: { from: 'example.org' },
		}));
		log(
			`deep page (Big) ${deepMs.toFixed(2)} ms; search page 0: ${smallSearchMs.toFixed(2)} ms vs ${bigSearchMs.toFixed(2)} ms`,
		);

		const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
		process.stdout.write(
			`${JSON.stringify({
				bench: 'imap-list',
				node: process.version,
				p11_list_page_ratio: round(bigMs / smallMs),
				page0_small_ms: round(smallMs),
				page0_big_ms: round(bigMs),
				examine_each_time_ratio: round(coldBigMs / coldSmallMs),
				examine_each_time_small_ms: round(coldSmallMs),
				examine_each_time_big_ms: round(coldBigMs),
				deep_page_big_ms: round(deepMs),
				deep_page_vs_page0_big: round(deepMs / bigMs),
				search_page0_ratio: round(bigSearchMs / smallSearchMs),
				big_mailbox: BIG_MAILBOX,
			})}\n`,
		);
	} finally {
		await pool.closeAll();
		await server.stop();
	}
}

main().then(
	() => process.exit(0),
	(error) => {
		log(String((error as Error).stack ?? error));
		process.exit(1);
	},
);
