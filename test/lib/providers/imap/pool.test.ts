import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import {
	listMessages,
	type ListOptions,
	type MessagePage,
} from '../../../../lib/providers/imap/listing';
import { ImapConnectionPool } from '../../../../lib/providers/imap/pool';
import { ImapProvider } from '../../../../lib/providers/imap/provider';
import { ImapSession } from '../../../../lib/providers/imap/session';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { RawImap } from '../../../imap/raw-imap';
import { message } from './messages';
import { Poller, expectNoSeen, imapCommandLog, settingsFor } from './poll-helper';

/**
 * The trigger keeps its logged-in connection between polls (lib/providers/imap/pool.ts).
 * What a user would check: an empty poll costs the server one command, and a connection the
 * server dropped while it sat in the pool never costs a poll, a message or a duplicate.
 */
let server: DovecotServer;
const execFileAsync = promisify(execFile);

beforeAll(async () => {
	server = await startDovecot({ users: { alice: 'alicepass', bob: 'bobpass' } });
});
afterAll(async () => {
	await server?.stop();
});

/** The command names (`STATUS`, `LOGOUT`) of logged command lines. */
const names = (lines: string[]) => lines.map((line) => line.split(' ')[1]);

async function emptyPoll(provider: ImapProvider, mailbox: string): Promise<void> {
	const status = await provider.status(mailbox);
	const cursor = { uidValidity: status.uidValidity, lastUid: status.uidNext - 1 };
	for await (const batch of provider.changes(mailbox, cursor, {
		since: new Date(0),
		limit: 10,
	}))
		expect(batch.messages).toEqual([]);
}

test('an empty poll on a pooled connection sends STATUS and nothing else', async () => {
	const pool = new ImapConnectionPool();
	const log = imapCommandLog();
	await server.seed('alice', 'PoolEmpty', [message({ subject: 'one' })]);
	try {
		const first = new ImapProvider(settingsFor(server), { pool, logger: log.logger });
		await emptyPoll(first, 'PoolEmpty');
		await first.close();
		expect(names(log.lines)).toContain('AUTHENTICATE');
		expect(names(log.lines)).not.toContain('LOGOUT');
		expect(pool.idleCount()).toBe(1);

		log.lines.length = 0;
		const second = new ImapProvider(settingsFor(server), { pool });
		const status = await second.status('PoolEmpty');
		for await (const batch of second.changes(
			'PoolEmpty',
			{ uidValidity: status.uidValidity, lastUid: status.uidNext - 1 },
			{ since: new Date(0), limit: 10 },
		))
			expect(batch.messages).toEqual([]);
		await second.close();
		// Two STATUS: the test's own and the poll's; no login, no LOGOUT, no SELECT.
		expect(names(log.lines)).toEqual(['STATUS', 'STATUS']);
	} finally {
		await pool.closeAll();
	}
	expect(pool.idleCount()).toBe(0);
});

test('a poll that fetched mail leaves the connection pooled with no mailbox selected', async () => {
	const pool = new ImapConnectionPool();
	await server.seed('alice', 'PoolFetch', [message({ subject: 'a' }), message({ subject: 'b' })]);
	try {
		const poller = new Poller(settingsFor(server), { mailboxes: ['PoolFetch'], pool });
		const first = await poller.poll();
		expect(first.emails.map((e) => e.email.subject)).toEqual(['a', 'b']);
		expect(pool.idleCount()).toBe(1);
		// The EXAMINEd mailbox was CLOSEd: an idle connection gets no untagged mailbox updates.
		const lease = await pool.acquire(settingsFor(server), async () => {
			throw new Error("the poll's connection was not pooled");
		});
		expect(lease.reused).toBe(true);
		expect(lease.client.mailbox).toBe(false);
		await pool.release(lease);

		await server.seed('alice', 'PoolFetch', [message({ subject: 'c' })]);
		expect((await poller.poll()).emails.map((e) => e.email.subject)).toEqual(['c']);
		expect((await poller.poll()).emails).toEqual([]);
		await expectNoSeen(server, 'PoolFetch');
	} finally {
		await pool.closeAll();
	}
});

test('a connection the server kicked or lost while pooled costs no poll, no message, no duplicate', async () => {
	const pool = new ImapConnectionPool();
	try {
		const poller = new Poller(settingsFor(server), { mailboxes: ['PoolDrop'], pool });
		await server.seed('alice', 'PoolDrop', [message({ subject: 'before' })]);
		expect((await poller.poll()).emails.map((e) => e.email.subject)).toEqual(['before']);

		await server.kick('alice');
		await server.seed('alice', 'PoolDrop', [message({ subject: 'after kick' })]);
		const afterKick = await poller.poll();
		expect(afterKick.errors).toEqual([]);
		expect(afterKick.emails.map((e) => e.email.subject)).toEqual(['after kick']);

		await server.kill();
		await server.start();
		await server.seed('alice', 'PoolDrop', [message({ subject: 'after restart' })]);
		const afterRestart = await poller.poll();
		expect(afterRestart.errors).toEqual([]);
		expect(afterRestart.emails.map((e) => e.email.subject)).toEqual(['after restart']);
		expect((await poller.poll()).emails).toEqual([]);
	} finally {
		await pool.closeAll();
	}
});

test('reusing a connection many times leaves no listeners or timers behind', async () => {
	const pool = new ImapConnectionPool();
	await server.seed('alice', 'PoolReuse', [message({ subject: 'x' })]);
	try {
		const listeners: number[] = [];
		for (let i = 0; i < 15; i++) {
			const provider = new ImapProvider(settingsFor(server), { pool });
			await emptyPoll(provider, 'PoolReuse');
			const client = await provider.client();
			await provider.close();
			listeners.push(client.listenerCount('close'));
		}
		expect(new Set(listeners).size).toBe(1);
		expect(pool.idleCount()).toBe(1);
	} finally {
		await pool.closeAll();
	}
});

test('closeAll logs out even when nothing else keeps the process alive', async () => {
	// Run in a child process: an idle pooled socket is unref'd, so a LOGOUT awaited on it
	// alone would end the process before the server answered (the test would never see it).
	const script = `
		const { ImapConnectionPool } = require(${JSON.stringify(require.resolve('../../../../lib/providers/imap/pool'))});
		const { ImapProvider } = require(${JSON.stringify(require.resolve('../../../../lib/providers/imap/provider'))});
		(async () => {
			const pool = new ImapConnectionPool();
			const provider = new ImapProvider(${JSON.stringify(settingsFor(server))}, { pool });
			await provider.status('INBOX');
			await provider.close();
			await pool.closeAll();
			console.log('logged out, idle ' + pool.idleCount());
		})();
	`;
	const { stdout } = await execFileAsync(
		process.execPath,
		['-r', require.resolve('../../../helpers/register-ts'), '-e', script],
		{ timeout: 20_000 },
	).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
	expect(stdout.trim()).toBe('logged out, idle 0');
});

test('a pooled connection that died unnoticed is replaced within the same poll', async () => {
	const pool = new ImapConnectionPool();
	try {
		const poller = new Poller(settingsFor(server), { mailboxes: ['PoolDead'], pool });
		await server.seed('alice', 'PoolDead', [message({ subject: 'first' })]);
		await poller.poll();
		const lease = await pool.acquire(settingsFor(server), async () => {
			throw new Error('not pooled');
		});
		await pool.release(lease);
		await server.seed('alice', 'PoolDead', [message({ subject: 'second' })]);
		// The socket dies and the very next poll takes the connection before imapflow has seen
		// the close: its STATUS fails on the dead socket, and the poll must still succeed.
		(lease.client as unknown as { socket: { destroy(): void } }).socket.destroy();
		const result = await poller.poll();
		expect(result.errors).toEqual([]);
		expect(result.emails.map((e) => e.email.subject)).toEqual(['second']);
	} finally {
		await pool.closeAll();
	}
});

test('accounts never share a connection', async () => {
	const pool = new ImapConnectionPool();
	await server.seed('bob', 'INBOX', [message({ subject: 'for bob' })]);
	const bob = settingsFor(server, {
		user: 'bob',
		auth: { method: 'password', password: 'bobpass' },
	});
	try {
		await new Poller(settingsFor(server), { pool }).poll();
		const bobMail = await new Poller(bob, { pool }).poll();
		expect(bobMail.emails.map((e) => e.email.subject)).toEqual(['for bob']);
		expect(pool.idleCount()).toBe(2);
	} finally {
		await pool.closeAll();
	}
});

test('an idle connection is logged out once idleMs passed, and the next lease logs in anew', async () => {
	const pool = new ImapConnectionPool({ idleMs: 50 });
	const log = imapCommandLog();
	try {
		const provider = new ImapProvider(settingsFor(server), { pool, logger: log.logger });
		await provider.status('INBOX');
		await provider.close();
		// No clock in the assertion: wait for the pool's own expiry to send LOGOUT (Jest's test
		// timeout is the only bound). Nothing else logs out a pooled connection before closeAll().
		while (!names(log.lines).includes('LOGOUT'))
			await new Promise((resolve) => setTimeout(resolve, 10));
		expect(pool.idleCount()).toBe(0);
		const lease = await pool
			.acquire(settingsFor(server), async () => {
				throw new Error('connect called');
			})
			.catch((error: Error) => error.message);
		expect(lease).toBe('connect called');
	} finally {
		await pool.closeAll();
	}
});

test('a changed password is a different account: the pooled login is not used for it', async () => {
	const pool = new ImapConnectionPool();
	try {
		await new Poller(settingsFor(server), { pool }).poll();
		const wrong = new Poller(
			settingsFor(server, { auth: { method: 'password', password: 'not-the-password' } }),
			{ pool },
		);
		const result = await wrong.poll();
		expect(result.errors.map((e) => e.error.field)).toEqual(['password']);
	} finally {
		await pool.closeAll();
	}
});

describe('a listing leaves its pooled connection on the mailbox (Message: List)', () => {
	// On Dovecot's Maildir every EXAMINE reads the mailbox's whole uidlist (the cost that grows
	// with the mailbox: README, p11_list_page_ratio); a listing that finds its mailbox still
	// selected NOOPs instead. What a user checks: the page is exactly the one a fresh connection
	// lists, even after another client added and deleted mail in between.
	const list = async (
		pool: ImapConnectionPool | undefined,
		mailbox: string,
		options: ListOptions,
		logger?: ReturnType<typeof imapCommandLog>['logger'],
	): Promise<MessagePage> => {
		const session = new ImapSession(settingsFor(server), { pool, logger });
		try {
			return await listMessages(session, mailbox, options);
		} finally {
			await session.close();
		}
	};
	const subjects = (page: MessagePage) => page.messages.map((entry) => entry.subject);

	test('the next listing NOOPs instead of EXAMINE and lists what a fresh connection lists, mail added and deleted meanwhile', async () => {
		const pool = new ImapConnectionPool();
		const log = imapCommandLog();
		const uids = await server.seed(
			'alice',
			'PoolList',
			Array.from({ length: 12 }, (_, i) => message({ subject: `listed ${i}` })),
		);
		try {
			const first = await list(pool, 'PoolList', { page: 0, pageSize: 5 }, log.logger);
			expect(subjects(first)).toEqual([
				'listed 11',
				'listed 10',
				'listed 9',
				'listed 8',
				'listed 7',
			]);
			expect(names(log.lines)).toContain('EXAMINE');
			expect(pool.idleCount()).toBe(1);

			// Another client: two new messages, and one of page 0 and one of page 1 expunged.
			await server.seed('alice', 'PoolList', [
				message({ subject: 'new 1' }),
				message({ subject: 'new 2' }),
			]);
			const other = await RawImap.connect(server.host, server.port);
			try {
				await other.login('alice', server.users.alice);
				await other.ok(['SELECT PoolList\r\n']);
				await other.ok([`UID STORE ${uids[9]},${uids[4]} +FLAGS.SILENT (\\Deleted)\r\n`]);
				await other.ok([`UID EXPUNGE ${uids[9]},${uids[4]}\r\n`]);
			} finally {
				await other.logout().catch(() => other.destroy());
			}

			log.lines.length = 0;
			const again = await list(pool, 'PoolList', { page: 0, pageSize: 5 });
			expect(names(log.lines)).not.toContain('EXAMINE');
			expect(names(log.lines)).not.toContain('SELECT');
			expect(names(log.lines)).toContain('NOOP');
			expect(subjects(again)).toEqual(['new 2', 'new 1', 'listed 11', 'listed 10', 'listed 8']);
			expect(again).toEqual(await list(undefined, 'PoolList', { page: 0, pageSize: 5 }));

			// Page 1 of the first listing's snapshot: the new mail stays out, on both connections
			// (the two expunged ones close up: page 0 of this snapshot now ends at 'listed 6').
			const page1 = await list(pool, 'PoolList', {
				page: 1,
				pageSize: 5,
				snapshot: first.snapshot,
			});
			expect(subjects(page1)).toEqual(['listed 5', 'listed 3', 'listed 2', 'listed 1', 'listed 0']);
			expect(page1).toEqual(
				await list(undefined, 'PoolList', { page: 1, pageSize: 5, snapshot: first.snapshot }),
			);
			expect(names(log.lines)).not.toContain('EXAMINE');
		} finally {
			await pool.closeAll();
		}
	});

	test('two mailboxes listed in turn keep a connection each; a trigger still gets one with no mailbox selected', async () => {
		const pool = new ImapConnectionPool();
		const log = imapCommandLog();
		await server.seed('alice', 'PoolTurnA', [message({ subject: 'in A' })]);
		await server.seed('alice', 'PoolTurnB', [message({ subject: 'in B' })]);
		try {
			for (const mailbox of ['PoolTurnA', 'PoolTurnB'])
				await list(pool, mailbox, { page: 0, pageSize: 5 }, log.logger);
			expect(pool.idleCount()).toBe(2);
			log.lines.length = 0;
			for (const mailbox of ['PoolTurnA', 'PoolTurnB', 'PoolTurnA', 'PoolTurnB'])
				expect(subjects(await list(pool, mailbox, { page: 0, pageSize: 5 }))).toEqual([
					mailbox === 'PoolTurnA' ? 'in A' : 'in B',
				]);
			expect(names(log.lines).filter((name) => name === 'EXAMINE' || name === 'SELECT')).toEqual(
				[],
			);

			// A lease that names no mailbox (the triggers' polls) never inherits a selection.
			const lease = await pool.acquire(settingsFor(server), async () => {
				throw new Error('the listings left no connection in the pool');
			});
			expect(lease.reused).toBe(true);
			expect(lease.client.mailbox).toBe(false);
			await pool.release(lease);
			await server.seed('alice', 'PoolTurnA', [message({ subject: 'polled' })]);
			const poller = new Poller(settingsFor(server), { mailboxes: ['PoolTurnA'], pool });
			expect((await poller.poll()).emails.map((e) => e.email.subject)).toEqual(['in A', 'polled']);
			await expectNoSeen(server, 'PoolTurnA');
		} finally {
			await pool.closeAll();
		}
	});
});

test('moving an idle connection off its mailbox keeps the process alive until the CLOSE is answered', async () => {
	// In a child process: an idle pooled socket is unref'd; a lease that CLOSEs the mailbox a
	// listing left selected must ref it first, or the process ends before the answer comes.
	await server.seed('alice', 'PoolRef', [message({ subject: 'x' })]);
	const script = `
		const { ImapConnectionPool } = require(${JSON.stringify(require.resolve('../../../../lib/providers/imap/pool'))});
		const { ImapSession } = require(${JSON.stringify(require.resolve('../../../../lib/providers/imap/session'))});
		const { listMessages } = require(${JSON.stringify(require.resolve('../../../../lib/providers/imap/listing'))});
		(async () => {
			const pool = new ImapConnectionPool();
			const session = new ImapSession(${JSON.stringify(settingsFor(server))}, { pool });
			await listMessages(session, 'PoolRef', { page: 0, pageSize: 5 });
			await session.close();
			const lease = await pool.acquire(${JSON.stringify(settingsFor(server))}, async () => {
				throw new Error('not pooled');
			});
			console.log('selected: ' + lease.client.mailbox);
			await pool.release(lease);
			await pool.closeAll();
		})();
	`;
	const { stdout } = await execFileAsync(
		process.execPath,
		['-r', require.resolve('../../../helpers/register-ts'), '-e', script],
		{ timeout: 20_000 },
	).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
	expect(stdout.trim()).toBe('selected: false');
});
