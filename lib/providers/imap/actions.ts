import type { Readable } from 'node:stream';

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
		const result = await client.messageMove(String(ref.uid), destination, { uid: true });
		if (!result)
			throw new MailIntelError(`the server refused to move UID ${ref.uid} to "${destination}"`, {
				source: 'imap',
				code: 'MOVE_FAILED',
			});
		const uid = result.uidMap?.get(ref.uid as number);
		const uidValidity = result.uidValidity?.toString();
		return {
			provider: 'imap',
			account: session.account,
			mailbox: destination,
			id: uid && uidValidity ? `${uidValidity}:${uid}` : '',
			...(uid ? { uid } : {}),
			...(uidValidity ? { uidValidity } : {}),
		};
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		lock.release();
	}
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
