import { Readable } from 'node:stream';

import type { ImapFlow, MessageStructureObject } from 'imapflow';

import type { MessageRef } from '../../mail/message-ref';
import { parseEmail, type AttachmentSink, type ParsedEmail } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import { fetchMessage } from './actions';
import { imapError } from './errors';
import { DOWNLOAD_CHUNK_BYTES } from './fetch';
import { notFound, type ImapSession } from './session';
import { emailIdentity, summarize } from './summary';

/**
 * Encoded bytes that always hold at least `maxTextChars` characters of a body part: a
 * character is at most 4 bytes of UTF-8, and quoted-printable writes a byte as 3 (`=XX`);
 * base64 (4 per 3) needs less. Plus one line, because the cut goes back to a line end.
 */
export function bytesForChars(maxTextChars: number): number {
	return maxTextChars * 12 + 1024;
}

/**
 * Message: Get for a message whose body text is far larger than Max Text Length: IMAP API's
 * "partial text download". BODYSTRUCTURE says which parts are body text; each such part larger
 * than the characters needed is fetched only up to that many bytes (`BODY.PEEK[part]<0.N>`),
 * cut back to a line end so its encoding stays whole. The message is put back together from
 * the header, each part's MIME header and the parts (attachments whole, in 1 MB partial
 * FETCHes: never held in memory at once) and handed to the one MIME parser (lib/mail/parse.ts),
 * which decodes it exactly as a whole download. `textTruncated` is then true.
 * Any other message takes the ordinary path (actions.ts `fetchMessage`).
 */
export async function fetchMessageCapped<T>(
	session: ImapSession,
	ref: MessageRef,
	policy: AttachmentPolicy,
	sink: AttachmentSink<T>,
): Promise<ParsedEmail<T>> {
	const limit = bytesForChars(policy.maxTextChars);
	const client = await session.client();
	const lock = await session.lockRef(client, ref);
	let released = false;
	try {
		const message = await client.fetchOne(
			String(ref.uid),
			{ uid: true, size: true, flags: true, internalDate: true, bodyStructure: true },
			{ uid: true },
		);
		if (!message || message.uid !== ref.uid) throw notFound(ref);
		const root = message.bodyStructure;
		// A ref by mailbox + UID gets the mailbox's UIDVALIDITY: the item's locator needs it.
		const uidValidity =
			ref.uidValidity ?? (client.mailbox ? String(client.mailbox.uidValidity) : '');
		if (!root || !bodyTexts(root).some((part) => (part.size ?? 0) > limit)) {
			lock.release();
			released = true;
			return await fetchMessage(session, { ...ref, uidValidity }, policy, sink);
		}
		const summary = summarize(session.account, ref.mailbox, uidValidity, message);
		const identity = emailIdentity(session.settings, summary);
		const cut = { any: false };
		const source = Readable.from(reassemble(client, ref.uid as number, root, limit, cut));
		const parsed = await parseEmail<T>(source, identity, { policy, sink });
		if (cut.any) parsed.email.textTruncated = true;
		return parsed;
	} catch (error) {
		throw imapError(error, session.settings, ref.mailbox);
	} finally {
		if (!released) lock.release();
	}
}

/** Leaves that are body text (text/plain or text/html, not declared an attachment). */
function bodyTexts(root: MessageStructureObject): MessageStructureObject[] {
	const found: MessageStructureObject[] = [];
	const stack = [root];
	while (stack.length) {
		const node = stack.pop()!;
		// An attached message (message/rfc822) is an attachment: its texts are not the body's.
		if (node.childNodes?.length && node.type?.toLowerCase().startsWith('multipart/'))
			stack.push(...node.childNodes);
		else if (isBodyText(node)) found.push(node);
	}
	return found;
}

function isBodyText(node: MessageStructureObject): boolean {
	const type = node.type?.toLowerCase();
	return (
		(type === 'text/plain' || type === 'text/html') &&
		node.disposition?.toLowerCase() !== 'attachment'
	);
}

/** The message again, from its header, each part's MIME header and each part's (maybe cut) body. */
async function* reassemble(
	client: ImapFlow,
	uid: number,
	root: MessageStructureObject,
	limit: number,
	cut: { any: boolean },
): AsyncGenerator<Buffer> {
	yield await section(client, uid, 'header');
	if (!root.type?.toLowerCase().startsWith('multipart/')) {
		yield* body(client, uid, 'text', isBodyText(root) ? limit : undefined, cut);
		return;
	}
	yield* multipart(client, uid, root, limit, cut);
}

async function* multipart(
	client: ImapFlow,
	uid: number,
	node: MessageStructureObject,
	limit: number,
	cut: { any: boolean },
): AsyncGenerator<Buffer> {
	const boundary = node.parameters?.boundary ?? '';
	for (const child of node.childNodes ?? []) {
		yield Buffer.from(`\r\n--${boundary}\r\n`);
		yield await section(client, uid, `${child.part}.mime`);
		if (child.childNodes?.length && child.type?.toLowerCase().startsWith('multipart/'))
			yield* multipart(client, uid, child, limit, cut);
		else yield* body(client, uid, String(child.part), isBodyText(child) ? limit : undefined, cut);
	}
	yield Buffer.from(`\r\n--${boundary}--\r\n`);
}

/** One part's encoded bytes, in partial FETCHes; with `cutAt`, only up to the last line end before it. */
async function* body(
	client: ImapFlow,
	uid: number,
	key: string,
	cutAt: number | undefined,
	cut: { any: boolean },
): AsyncGenerator<Buffer> {
	if (cutAt !== undefined) {
		const head = await section(client, uid, key, 0, cutAt);
		if (head.length < cutAt) {
			yield head;
			return;
		}
		cut.any = true;
		const lineEnd = head.lastIndexOf(0x0a);
		yield lineEnd > 0 ? head.subarray(0, lineEnd + 1) : head;
		return;
	}
	for (let start = 0; ; start += DOWNLOAD_CHUNK_BYTES) {
		const chunk = await section(client, uid, key, start, DOWNLOAD_CHUNK_BYTES);
		if (chunk.length) yield chunk;
		if (chunk.length < DOWNLOAD_CHUNK_BYTES) return;
	}
}

async function section(
	client: ImapFlow,
	uid: number,
	key: string,
	start?: number,
	maxLength?: number,
): Promise<Buffer> {
	const part = start === undefined ? key : { key, start, maxLength };
	const response = await client.fetchOne(
		String(uid),
		{ uid: true, bodyParts: [part as string] },
		{ uid: true },
	);
	if (!response) throw new Error(`UID ${uid} vanished while its parts were fetched`);
	// imapflow files BODY[HEADER] under `headers`; one part is asked per FETCH, so the one entry
	// of `bodyParts` is it (whatever key a partial answer got).
	if (key === 'header') return response.headers ?? Buffer.alloc(0);
	return (
		response.bodyParts?.get(key) ?? [...(response.bodyParts?.values() ?? [])][0] ?? Buffer.alloc(0)
	);
}
