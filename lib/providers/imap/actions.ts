import type { Readable } from 'node:stream';

import type { ImapFlow } from 'imapflow';

import { MailIntelError } from '../../errors';
import type { MessageRef } from '../../mail/message-ref';
import type { AttachmentSink, BufferedAttachment, ParsedEmail } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import type { FlagChange } from '../types';
import { imapError } from './errors';
import { DOWNLOAD_CHUNK_BYTES, streamOne } from './fetch';
import { notFound, type ImapSession } from './session';

/**
 * What an action node does to one message it addresses by locator. Every command that the
 * server can refuse is checked: imapflow answers a server NO with `false`, and a silent failed
 * quarantine is a security bug.
 */

export async function fetchMessage<T = BufferedAttachment>(
	session: ImapSession,
	ref: MessageRef,
	policy: AttachmentPolicy,
	sink?: AttachmentSink<T>,
	options: { recordTransientFailures?: boolean } = {},
): Promise<ParsedEmail<T>> {
	const summary = { ...ref, size: undefined };
	const client = await session.client();
	const lock = await session.lockRef(client, ref);
	try {
		const fetched = await streamOne(session, client, summary, {
			policy,
			sink,
			recordTransientFailures: () => options.recordTransientFailures === true,
		});
		if (!fetched) throw notFound(ref);
		return fetched.parsed;
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		lock.release();
	}
}

/** The raw source (`part` undefined) or one decoded MIME part, streamed; the lock is held until it closes. */
export async function download(
	session: ImapSession,
	ref: MessageRef,
	part?: string,
): Promise<Readable> {
	const client = await session.client();
	const lock = await session.lockRef(client, ref);
	try {
		const result = await client.download(String(ref.uid), part, {
			uid: true,
			chunkSize: DOWNLOAD_CHUNK_BYTES,
		});
		if (!result.content) throw notFound(ref, part ? `part ${part}` : 'message');
		result.content.once('close', () => lock.release());
		return result.content;
	} catch (error) {
		lock.release();
		throw imapError(error, session.settings, ref.mailbox);
	}
}

export async function moveMessage(
	session: ImapSession,
	ref: MessageRef,
	destination: string,
): Promise<MessageRef> {
	const client = await session.client();
	const lock = await session.lockRef(client, ref, false);
	try {
		const moved = await moveUid(client, ref.uid as number, destination);
		return {
			provider: 'imap',
			account: session.account,
			mailbox: destination,
			id: moved.uid && moved.uidValidity ? `${moved.uidValidity}:${moved.uid}` : '',
			...(moved.uid ? { uid: moved.uid } : {}),
			...(moved.uidValidity ? { uidValidity: moved.uidValidity } : {}),
		};
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		lock.release();
	}
}

/**
 * Moves one message of the SELECTED mailbox (the caller holds its lock). With MOVE (RFC 6851):
 * UID MOVE. Without it: COPY, and only when the copy succeeded, expungeUid (which never removes
 * other \Deleted mail). imapflow's own fallback expunges with a plain EXPUNGE when the server
 * lacks UIDPLUS, which would also remove every other message someone flagged \Deleted.
 */
export async function moveUid(
	client: ImapFlow,
	uid: number,
	destination: string,
): Promise<{ uid?: number; uidValidity?: string }> {
	if (client.capabilities.has('MOVE')) {
		const result = await client.messageMove(String(uid), destination, { uid: true });
		if (!result)
			throw new MailIntelError(`the server refused to move UID ${uid} to "${destination}"`, {
				source: 'imap',
				code: 'MOVE_FAILED',
			});
		return newPlace(result, uid);
	}
	await refuseUnsafeExpunge(client, uid);
	const copied = await client.messageCopy(String(uid), destination, { uid: true });
	if (!copied)
		throw new MailIntelError(`the server refused to copy UID ${uid} to "${destination}"`, {
			source: 'imap',
			code: 'COPY_FAILED',
			hint: 'Nothing was deleted: the message is still where it was.',
		});
	await expungeUid(client, uid);
	return newPlace(copied, uid);
}

function newPlace(
	result: { uidMap?: Map<number, number>; uidValidity?: bigint | number },
	uid: number,
): { uid?: number; uidValidity?: string } {
	const moved = result.uidMap?.get(uid);
	const uidValidity = result.uidValidity?.toString();
	return { ...(moved ? { uid: moved } : {}), ...(uidValidity ? { uidValidity } : {}) };
}

/**
 * Without UIDPLUS the only way to remove a message is a plain EXPUNGE, which removes EVERY
 * message flagged \Deleted in the mailbox. When other mail carries \Deleted (a user's client
 * deleting in "mark only" mode), that would destroy it: refused before anything is changed.
 */
export async function refuseUnsafeExpunge(client: ImapFlow, uid: number): Promise<void> {
	if (client.capabilities.has('UIDPLUS')) return;
	const deleted = await client.search({ deleted: true }, { uid: true });
	if (!deleted)
		throw new MailIntelError('the server refused SEARCH DELETED', {
			source: 'imap',
			code: 'SEARCH_FAILED',
		});
	const others = deleted.filter((other) => other !== uid);
	if (others.length > 0)
		throw new MailIntelError(
			`the server has no UIDPLUS, and a plain EXPUNGE would also remove ${others.length} other message(s) flagged \\Deleted in "${client.mailbox ? client.mailbox.path : ''}"`,
			{
				source: 'imap',
				code: 'EXPUNGE_UNSAFE',
				hint: 'Expunge or undelete those messages first, or use a server with UIDPLUS (RFC 4315).',
			},
		);
}

/** Removes one message of the selected mailbox: UID EXPUNGE (UIDPLUS), else a checked plain EXPUNGE. */
export async function expungeUid(client: ImapFlow, uid: number): Promise<void> {
	await refuseUnsafeExpunge(client, uid);
	if (!(await client.messageDelete(String(uid), { uid: true })))
		throw new MailIntelError(`the server refused to delete UID ${uid}`, {
			source: 'imap',
			code: 'DELETE_FAILED',
		});
}

export async function setFlags(
	session: ImapSession,
	ref: MessageRef,
	change: FlagChange,
): Promise<void> {
	const client = await session.client();
	const lock = await session.lockRef(client, ref, false);
	try {
		const range = String(ref.uid);
		if (change.add?.length && !(await client.messageFlagsAdd(range, change.add, { uid: true }))) {
			throw new MailIntelError(`the server refused to add flags to UID ${ref.uid}`, {
				source: 'imap',
				code: 'STORE_FAILED',
			});
		}
		if (
			change.remove?.length &&
			!(await client.messageFlagsRemove(range, change.remove, { uid: true }))
		) {
			throw new MailIntelError(`the server refused to remove flags from UID ${ref.uid}`, {
				source: 'imap',
				code: 'STORE_FAILED',
			});
		}
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		lock.release();
	}
}
