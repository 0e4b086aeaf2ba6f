import type { ImapFlow, ListResponse } from 'imapflow';

import { MailIntelError } from '../../errors';
import { imapError } from './errors';
import type { ImapSession } from './session';

/** One folder of the account, as "Mailbox: List" returns it. */
export interface MailboxInfo {
	path: string;
	name: string;
	delimiter: string;
	/** `\Trash`, `\Junk`, `\Sent`, ... (RFC 6154), when the server (or the name) says so. */
	specialUse?: string;
	subscribed: boolean;
	/** LIST attributes such as `\HasChildren`, `\Noselect`. */
	flags: string[];
	/** STATUS counts; absent for a mailbox that cannot be selected (`\Noselect`). */
	messages?: number;
	unseen?: number;
}

/**
 * Every mailbox with STATUS MESSAGES/UNSEEN (imapflow asks LIST-STATUS in one round trip when
 * the server offers it, else one STATUS per mailbox).
 */
export async function listMailboxes(
	session: ImapSession,
	options: { counts?: boolean } = {},
): Promise<MailboxInfo[]> {
	const client = await session.client();
	try {
		const list = await client.list(
			options.counts === false ? {} : { statusQuery: { messages: true, unseen: true } },
		);
		return list.map(toInfo);
	} catch (error) {
		throw imapError(error, session.settings);
	}
}

function toInfo(entry: ListResponse): MailboxInfo {
	return {
		path: entry.path,
		name: entry.name,
		delimiter: entry.delimiter,
		...(entry.specialUse ? { specialUse: entry.specialUse } : {}),
		subscribed: entry.subscribed,
		flags: [...entry.flags],
		...(entry.status?.messages === undefined ? {} : { messages: entry.status.messages }),
		...(entry.status?.unseen === undefined ? {} : { unseen: entry.status.unseen }),
	};
}

/**
 * The mailbox the server marks `\\Trash` (RFC 6154 SPECIAL-USE), if it has one. Only the
 * server's own mark counts, never a guess from a folder name.
 */
export async function trashMailbox(client: ImapFlow): Promise<string | undefined> {
	if (!client.capabilities.has('SPECIAL-USE')) return undefined;
	const list = await client.list({ listOnly: true });
	return list.find((entry) => entry.flags.has('\\Trash'))?.path;
}

export async function createMailbox(
	session: ImapSession,
	path: string,
): Promise<{ path: string; created: boolean }> {
	const name = mailboxPath(path, 'path');
	const client = await session.client();
	try {
		const result = await client.mailboxCreate(name);
		return { path: result.path, created: result.created };
	} catch (error) {
		throw commandFailed(session, error, `create mailbox "${name}"`, 'path');
	}
}

export async function renameMailbox(
	session: ImapSession,
	path: string,
	newPath: string,
): Promise<{ path: string; newPath: string }> {
	const from = mailboxPath(path, 'path');
	const to = mailboxPath(newPath, 'newPath');
	const client = await session.client();
	try {
		const result = await client.mailboxRename(from, to);
		return { path: result.path, newPath: result.newPath };
	} catch (error) {
		throw commandFailed(session, error, `rename mailbox "${from}" to "${to}"`, 'path');
	}
}

export async function deleteMailbox(session: ImapSession, path: string): Promise<{ path: string }> {
	const name = mailboxPath(path, 'path');
	if (name.toUpperCase() === 'INBOX')
		throw new MailIntelError('INBOX cannot be deleted', {
			source: 'config',
			code: 'INVALID_PARAMETER',
			field: 'path',
			hint: 'Choose another mailbox; IMAP servers never delete INBOX (RFC 3501 §6.3.4).',
		});
	const client = await session.client();
	try {
		const result = await client.mailboxDelete(name);
		return { path: result.path };
	} catch (error) {
		throw commandFailed(session, error, `delete mailbox "${name}"`, 'path');
	}
}

function mailboxPath(value: string, field: string): string {
	const path = (value ?? '').trim();
	if (!path || /[\r\n\0]/.test(path))
		throw new MailIntelError(`"${value}" is not a mailbox path`, {
			source: 'config',
			code: 'INVALID_PARAMETER',
			field,
			hint: 'Enter the full mailbox path, e.g. "Archive/2026" (the separator is the server\'s, see Mailbox: List).',
		});
	return path;
}

/**
 * A server NO to CREATE/RENAME/DELETE: imapflow throws it with the server's text. Kept as the
 * message (it says why: "Mailbox doesn't exist", "already exists"), with the field to fix.
 */
function commandFailed(
	session: ImapSession,
	error: unknown,
	what: string,
	field: string,
): MailIntelError {
	const mapped = imapError(error, session.settings);
	const notFound = mapped.code === 'MAILBOX_NOT_FOUND';
	if (!notFound && (mapped.code === 'CONNECTION_LOST' || mapped.field)) return mapped;
	const response = (error as { responseText?: string; serverResponseCode?: string }) ?? {};
	return new MailIntelError(
		`the server refused to ${what}${response.responseText ? `: ${response.responseText}` : ''}`,
		{
			source: 'imap',
			code: notFound ? 'NOT_FOUND' : response.serverResponseCode || 'MAILBOX_COMMAND_FAILED',
			...(notFound ? { status: 404 } : {}),
			field,
			hint: 'Check the mailbox path (Mailbox: List shows every path and the separator).',
			cause: error,
		},
	);
}
