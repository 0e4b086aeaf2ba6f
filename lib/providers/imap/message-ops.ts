import { MailIntelError } from '../../errors';
import type { MessageRef } from '../../mail/message-ref';
import type { AttachmentSink, ParsedEmail } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import type { FlagChange } from '../types';
import { moveMessage, setFlags } from './actions';
import { imapError } from './errors';
import { streamOne } from './fetch';
import { trashMailbox } from './mailboxes';
import { uidSearch } from './search';
import { notFound, type ImapSession } from './session';

/**
 * Copy, delete and "set flags": the message commands actions.ts does not have (move and
 * add/remove flags live there). Each refuses loudly: imapflow answers a server NO with `false`.
 */

/** Where a copy landed: its ref when the server reports COPYUID (UIDPLUS), else just the mailbox. */
export async function copyMessage(
	session: ImapSession,
	ref: MessageRef,
	destination: string,
): Promise<MessageRef> {
	const client = await session.client();
	const lock = await session.lockRef(client, ref);
	try {
		await requirePresent(client, ref);
		const result = await client.messageCopy(String(ref.uid), destination, { uid: true });
		if (!result)
			throw new MailIntelError(`the server refused to copy UID ${ref.uid} to "${destination}"`, {
				source: 'imap',
				code: 'COPY_FAILED',
				field: 'destination',
				hint: 'Check that the destination mailbox exists (Mailbox: List) and that the message is still there.',
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

/** Replaces every flag and keyword of the message (STORE FLAGS); `\Recent` is the server's. */
export async function replaceFlags(
	session: ImapSession,
	ref: MessageRef,
	flags: string[],
): Promise<void> {
	const client = await session.client();
	const lock = await session.lockRef(client, ref, false);
	try {
		await requirePresent(client, ref);
		if (!(await client.messageFlagsSet(String(ref.uid), flags, { uid: true })))
			throw new MailIntelError(`the server refused to set the flags of UID ${ref.uid}`, {
				source: 'imap',
				code: 'STORE_FAILED',
			});
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		lock.release();
	}
}

export interface DeleteResult {
	/** `trash`: moved to the Trash mailbox; `expunged`: removed for good. */
	action: 'trash' | 'expunged';
	/** The message in Trash, when it was moved there. */
	trashed?: MessageRef;
}

/**
 * Deletes one message: moved to the mailbox marked `\Trash` (RFC 6154) when the server has one
 * and the message is not in it already, else `\Deleted` + `UID EXPUNGE` of that UID alone
 * (RFC 4315 UIDPLUS). Without UIDPLUS only a plain EXPUNGE exists, which removes every message
 * flagged `\Deleted` in the mailbox: it is used only when no other message there carries the
 * flag, and refused otherwise, because deleting mail the user did not choose is worse than an
 * error.
 */
export async function deleteMessage(
	session: ImapSession,
	ref: MessageRef,
	options: { permanent?: boolean } = {},
): Promise<DeleteResult> {
	const client = await session.client();
	if (!options.permanent) {
		let trash: string | undefined;
		try {
			trash = await trashMailbox(client);
		} catch (error) {
			throw imapError(error, session.settings);
		}
		if (trash && trash !== ref.mailbox)
			return { action: 'trash', trashed: await moveExisting(session, ref, trash) };
	}
	const lock = await session.lockRef(client, ref, false);
	try {
		const uid = ref.uid as number;
		await requirePresent(client, ref);
		if (!client.capabilities.has('UIDPLUS')) {
			const flagged = await uidSearch(client, { deleted: true }, ref.mailbox);
			const others = flagged.filter((other) => other !== uid);
			if (others.length > 0)
				throw new MailIntelError(
					`refusing to delete UID ${uid} from "${ref.mailbox}": the server lacks UIDPLUS, so the only way is a plain EXPUNGE, which would also remove ${others.length} other message(s) already flagged \\Deleted there`,
					{
						source: 'imap',
						code: 'UNSAFE_EXPUNGE',
						hint: 'Move the message to a Trash mailbox instead (Message: Move), or clear the \\Deleted flag of the other messages first.',
					},
				);
		}
		// imapflow sends UID EXPUNGE <uid> with UIDPLUS, else EXPUNGE (checked safe above).
		if (!(await client.messageDelete(String(uid), { uid: true })))
			throw new MailIntelError(`the server refused to delete UID ${uid} from "${ref.mailbox}"`, {
				source: 'imap',
				code: 'DELETE_FAILED',
			});
		return { action: 'expunged' };
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		lock.release();
	}
}

/**
 * IMAP answers a UID command on a UID that is gone with OK and no effect (RFC 3501 §6.4.8):
 * without this check a move, copy or flag change of a deleted message would "succeed".
 */
async function requirePresent(
	client: Awaited<ReturnType<ImapSession['client']>>,
	ref: MessageRef,
): Promise<void> {
	const uid = ref.uid as number;
	const present = await uidSearch(client, { uid: String(uid) }, ref.mailbox);
	if (!present.includes(uid)) throw notFound(ref);
}

/** Fails with NOT_FOUND (404) when the message is gone; the mailbox lock is released again. */
export async function assertMessageExists(session: ImapSession, ref: MessageRef): Promise<void> {
	const client = await session.client();
	const lock = await session.lockRef(client, ref);
	try {
		await requirePresent(client, ref);
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		lock.release();
	}
}

/** actions.ts `moveMessage`, refusing a message that is gone instead of moving nothing. */
export async function moveExisting(
	session: ImapSession,
	ref: MessageRef,
	destination: string,
): Promise<MessageRef> {
	await assertMessageExists(session, ref);
	return moveMessage(session, ref, destination);
}

/** actions.ts `setFlags` (add/remove), refusing a message that is gone instead of changing nothing. */
export async function changeFlags(
	session: ImapSession,
	ref: MessageRef,
	change: FlagChange,
): Promise<void> {
	await assertMessageExists(session, ref);
	await setFlags(session, ref, change);
}

/** What a MIME part declares about itself (from BODYSTRUCTURE), to name and type a download. */
export interface PartInfo {
	part: string;
	/** Declared Content-Type, lower-case, no parameters. */
	contentType: string;
	/** The declared file name, unsanitized (the caller sanitizes). */
	filename?: string;
	/** Encoded size the server reports. */
	size?: number;
}

/**
 * Checks that the message has this part (an attachment id of the normalized item is its MIME
 * part number) and says what it declares; a missing message or part is a 404 naming it.
 */
export async function attachmentPart(
	session: ImapSession,
	ref: MessageRef,
	part: string,
): Promise<PartInfo> {
	if (!/^\d+(\.\d+)*$/.test(part))
		throw new MailIntelError(`"${part}" is not an attachment id`, {
			source: 'config',
			code: 'INVALID_PARAMETER',
			field: 'attachmentId',
			hint: "Use the id of an entry in the item's attachments list: a MIME part number such as 2 or 1.2.",
		});
	const client = await session.client();
	const lock = await session.lockRef(client, ref);
	try {
		const message = await client.fetchOne(
			String(ref.uid),
			{ uid: true, bodyStructure: true },
			{ uid: true },
		);
		if (!message || message.uid !== ref.uid) throw notFound(ref);
		const stack = message.bodyStructure ? [message.bodyStructure] : [];
		while (stack.length) {
			const node = stack.pop()!;
			if (node.part === part && !node.childNodes?.length) {
				const filename = node.dispositionParameters?.filename ?? node.parameters?.name;
				return {
					part,
					contentType: (node.type ?? 'application/octet-stream').toLowerCase(),
					...(filename ? { filename } : {}),
					...(node.size === undefined ? {} : { size: node.size }),
				};
			}
			if (node.childNodes) stack.push(...node.childNodes);
		}
		throw new MailIntelError(`message UID ${ref.uid} in "${ref.mailbox}" has no part ${part}`, {
			source: 'imap',
			code: 'NOT_FOUND',
			status: 404,
			field: 'attachmentId',
			hint: "Take the id from the attachments list of this message's item (Message: Get).",
		});
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		lock.release();
	}
}

/**
 * actions.ts `fetchMessage`, with the raw source teed into `rawSink` from the same download:
 * one transfer gives the parsed item and the `.eml`, both streamed (fetch.ts `streamOne`).
 */
export async function fetchWithSource<T>(
	session: ImapSession,
	ref: MessageRef,
	policy: AttachmentPolicy,
	sink: AttachmentSink<T>,
): Promise<ParsedEmail<T> & { source: T }> {
	const client = await session.client();
	const lock = await session.lockRef(client, ref);
	try {
		const fetched = await streamOne(
			session,
			client,
			{ ...ref, size: undefined },
			{
				policy,
				sink,
				rawSink: sink,
				keepRaw: true,
			},
		);
		if (!fetched || fetched.raw === undefined) throw notFound(ref);
		return { ...fetched.parsed, source: fetched.raw };
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		lock.release();
	}
}
