// "Another client" changing a mailbox while the watcher watches it: its own raw IMAP session
// (test/imap/raw-imap.ts), so the changes come from outside the client under test.
import { RawImap, encodeMailboxName, quote } from '../../../../imap/raw-imap';
import type { DovecotServer } from '../../../../imap/dovecot';

async function session<T>(
	server: DovecotServer,
	mailbox: string,
	work: (imap: RawImap) => Promise<T>,
): Promise<T> {
	const imap = await RawImap.connect(server.host, server.port);
	try {
		await imap.login('alice', server.users.alice);
		await imap.ok([`SELECT ${quote(encodeMailboxName(mailbox))}\r\n`]);
		return await work(imap);
	} finally {
		await imap.logout().catch(() => imap.destroy());
	}
}

/** UID STORE +FLAGS / -FLAGS by another client. */
export function storeFlags(
	server: DovecotServer,
	mailbox: string,
	uid: number,
	change: '+' | '-',
	flags: string[],
): Promise<void> {
	return session(server, mailbox, async (imap) => {
		await imap.ok([`UID STORE ${uid} ${change}FLAGS.SILENT (${flags.join(' ')})\r\n`]);
	});
}

/** Deletes messages the way mail clients do: \Deleted, then UID EXPUNGE (RFC 4315). */
export function deleteMessages(
	server: DovecotServer,
	mailbox: string,
	uids: number[],
): Promise<void> {
	return session(server, mailbox, async (imap) => {
		await imap.ok([`UID STORE ${uids.join(',')} +FLAGS.SILENT (\\Deleted)\r\n`]);
		await imap.ok([`UID EXPUNGE ${uids.join(',')}\r\n`]);
	});
}

/** Resolves once `check` holds, re-checking every 20 ms (fails with `what` after `limitMs`, a hang guard only). */
export async function eventually(
	check: () => boolean,
	what: string,
	limitMs = 20_000,
): Promise<void> {
	const deadline = Date.now() + limitMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}
