import type { Readable } from 'node:stream';

import type { FetchMessageObject, ImapFlow, MessageStructureObject } from 'imapflow';
import { Headers } from '@zone-eu/mailsplit';

import { MailIntelError } from '../../errors';
import { formatLocator } from '../../mail/locator';
import type { MessageRef } from '../../mail/message-ref';
import {
	AUDITED_KEYWORD,
	originFromKeywords,
	originKeyword,
	PLACEHOLDER_DESCRIPTION,
	QUARANTINE_KEYWORD,
	REWRITE_OF_HEADER,
	rewriteOf,
} from '../../remediation/markers';
import { isKeyword, type RemediationPolicy } from '../../remediation/policy';
import {
	emptyResult,
	record,
	type MessageLocation,
	type RemediationResult,
} from '../../remediation/result';
import { planRewrite, recordRewrite, rewriteSpecOf } from '../../remediation/plan';
import { rewriteMessage, type RewriteOutcome } from '../../remediation/rewrite';
import type { PresentAttachment } from '../../remediation/select';
import type { ReleaseOptions, RemediationTarget, Remediator } from '../../remediation/types';
import { expungeUid, moveUid, refuseUnsafeExpunge } from './actions';
import { imapError } from './errors';
import { DOWNLOAD_CHUNK_BYTES } from './fetch';
import { ensureFolder } from './folders';
import { notFound, type ImapSession } from './session';

/**
 * Remediation on IMAP. A message cannot be edited in place, so a rewrite is: audit copy of the
 * untouched original (server-side COPY) -> the new MIME built streamed from the original ->
 * APPEND to the same folder with the original flags and INTERNALDATE -> only then the original
 * deleted by UID. A connection cut anywhere leaves at worst both copies; the retry finds the
 * rewrite by its REWRITE_OF_HEADER and only deletes the original. Every server NO is an error.
 */

const FETCH_QUERY = {
	uid: true,
	flags: true,
	internalDate: true,
	envelope: true,
	bodyStructure: true,
	headers: true,
	size: true,
} as const;

/** Flags the server sets itself, that would hide the rewrite, or that describe only the original: not copied onto it. */
const NOT_COPIED = new Set(['\\recent', '\\deleted', AUDITED_KEYWORD.toLowerCase()]);

export class ImapRemediator implements Remediator {
	constructor(
		private readonly session: ImapSession,
		private readonly server: { host: string; port: number },
	) {}

	async remediate(
		target: RemediationTarget,
		policy: RemediationPolicy,
	): Promise<RemediationResult> {
		const ref = this.checked(target);
		const client = await this.session.client();
		// Folders first, with no mailbox lock held: LIST/CREATE.
		const audit = policy.auditFolder ? await this.folder(client, policy.auditFolder) : undefined;
		const quarantine = policy.quarantineFolder
			? await this.folder(client, policy.quarantineFolder)
			: undefined;
		const result = emptyResult('imap', 'remediate', this.location(ref));
		let current: MessageRef = ref;
		const lock = await this.session.lockRef(client, ref, false);
		try {
			const marker = rewriteOf(ref);
			let message = await this.fetch(client, ref.uid as number);
			if (!message) {
				// The original is gone: an earlier run finished its rewrite (or someone deleted it).
				const [rewritten] = await this.search(client, marker);
				if (rewritten === undefined) throw notFound(ref);
				message = await this.fetch(client, rewritten);
				if (!message) throw notFound(ref);
				current = this.at(ref, ref.mailbox, rewritten, ref.uidValidity);
				result.notes.push(
					`the original was already replaced by its rewrite (UID ${rewritten}) in an earlier run`,
				);
			}
			const headers = new Headers(message.headers ?? Buffer.alloc(0));
			const plan = planRewrite(
				{
					subject: message.envelope?.subject ?? '',
					header: (name) => (headers.hasHeader(name) ? headers.getFirst(name) : undefined),
					attachments: attachmentsOf(message.bodyStructure),
				},
				policy,
				target.scan,
				result,
			);
			const rewrite = plan.rewrite;
			const move = quarantine !== undefined && quarantine !== ref.mailbox;
			// Refused up front, before anything changed, when a step would delete with an unsafe EXPUNGE.
			if (rewrite || (move && !client.capabilities.has('MOVE')))
				await refuseUnsafeExpunge(client, current.uid as number);
			if (rewrite) {
				const uid = current.uid as number;
				let rewritten = (await this.search(client, marker)).find((found) => found !== uid);
				let outcome: RewriteOutcome | undefined;
				if (rewritten !== undefined) {
					result.notes.push(
						`a rewrite from an interrupted earlier run was found (UID ${rewritten}); only the original is deleted now`,
					);
				} else {
					if (audit && message.flags?.has(AUDITED_KEYWORD))
						result.notes.push(
							'the audit copy an interrupted earlier run made is kept; no second copy',
						);
					else if (audit) result.audit = await this.auditCopy(client, current, audit, result);
					const source = await this.download(client, uid);
					const { stream, outcome: rewriteOutcome } = rewriteMessage(
						source,
						rewriteSpecOf(plan, policy, marker),
					);
					const bytes = await collect(stream);
					const flags = [...(message.flags ?? [])].filter(
						(flag) => !NOT_COPIED.has(flag.toLowerCase()),
					);
					const appended = await client.append(ref.mailbox, bytes, flags, message.internalDate);
					if (!appended)
						throw new MailIntelError(
							`the server refused to APPEND the rewritten message to "${ref.mailbox}"`,
							{
								source: 'imap',
								code: 'APPEND_FAILED',
							},
						);
					rewritten = appended.uid ?? (await this.search(client, marker))[0];
					if (rewritten === undefined)
						throw new MailIntelError(
							'the rewritten message was appended but cannot be found again',
							{
								source: 'imap',
								code: 'APPEND_LOST',
								hint: 'The original was left in place; run again to reconcile.',
							},
						);
					outcome = rewriteOutcome;
				}
				await expungeUid(client, uid);
				current = this.at(ref, ref.mailbox, rewritten, ref.uidValidity);
				recordRewrite(result, plan, outcome);
				message = (await this.fetch(client, rewritten)) ?? message;
			}

			await this.keywords(client, current, message.flags ?? new Set(), policy.categories, result);

			if (quarantine) {
				if (!move) record(result, 'quarantine', false);
				else {
					await this.store(client, current.uid as number, [
						QUARANTINE_KEYWORD,
						originKeyword(ref.mailbox),
					]);
					const moved = await moveUid(client, current.uid as number, quarantine);
					current = this.at(ref, quarantine, moved.uid, moved.uidValidity);
					record(result, 'quarantine', true);
				}
			}
		} catch (error) {
			throw imapError(error, this.session.settings, ref.mailbox);
		} finally {
			lock.release();
		}
		result.after = this.location(current);
		return result;
	}

	async release(target: RemediationTarget, _options: ReleaseOptions): Promise<RemediationResult> {
		const ref = this.checked(target);
		const client = await this.session.client();
		const result = emptyResult('imap', 'release', this.location(ref));
		const lock = await this.session.lockRef(client, ref, false);
		let current: MessageRef = ref;
		try {
			const message = await this.fetch(client, ref.uid as number);
			if (!message) throw notFound(ref);
			const origin = originFromKeywords(message.flags ?? []);
			if (!origin)
				throw new MailIntelError(
					`UID ${ref.uid} in "${ref.mailbox}" was not quarantined by this node`,
					{
						source: 'imap',
						code: 'NOT_QUARANTINED',
						hint: `Release works on messages the Remediate operation moved (they carry the ${QUARANTINE_KEYWORD} keyword).`,
					},
				);
			const removed = await client.messageFlagsRemove(
				String(ref.uid),
				[QUARANTINE_KEYWORD, origin.keyword],
				{ uid: true },
			);
			if (!removed)
				throw new MailIntelError(`the server refused to remove keywords from UID ${ref.uid}`, {
					source: 'imap',
					code: 'STORE_FAILED',
				});
			const moved = await moveUid(client, ref.uid as number, origin.folder);
			current = this.at(ref, origin.folder, moved.uid, moved.uidValidity);
			record(result, 'release', true);
			result.notes.push(
				'IMAP: the subject tag stays (taking it off would need another rewrite); the quarantine keyword was removed',
			);
		} catch (error) {
			throw imapError(error, this.session.settings, ref.mailbox);
		} finally {
			lock.release();
		}
		result.after = this.location(current);
		return result;
	}

	async close(): Promise<void> {
		await this.session.close();
	}

	/** The locator must name this credential's server: an action is never applied to another one. */
	private checked(target: RemediationTarget): MessageRef {
		const ref = target.ref;
		const settings = this.session.settings;
		if (ref.provider !== 'imap' || ref.uid === undefined)
			throw new MailIntelError(`"${target.locator}" is not an IMAP message locator`, {
				source: 'config',
				code: 'BAD_LOCATOR',
				field: 'locator',
			});
		if (
			ref.host?.toLowerCase() !== this.server.host.toLowerCase() ||
			ref.port !== this.server.port ||
			ref.account !== settings.user
		)
			throw new MailIntelError(
				`the locator names ${ref.account}@${ref.host}:${ref.port}, but the credential logs in as ${settings.user}@${this.server.host}:${this.server.port}`,
				{
					source: 'config',
					code: 'WRONG_ACCOUNT',
					field: 'locator',
					hint: 'Choose the IMAP credential of the mailbox the item came from.',
				},
			);
		return ref;
	}

	private async folder(client: ImapFlow, name: string): Promise<string> {
		try {
			return await ensureFolder(client, name);
		} catch (error) {
			throw imapError(error, this.session.settings, name);
		}
	}

	private async fetch(client: ImapFlow, uid: number): Promise<FetchMessageObject | undefined> {
		const found = await client.fetchOne(String(uid), FETCH_QUERY, { uid: true });
		return found || undefined;
	}

	private async search(client: ImapFlow, marker: string): Promise<number[]> {
		const found = await client.search({ header: { [REWRITE_OF_HEADER]: marker } }, { uid: true });
		if (!found)
			throw new MailIntelError('the server refused SEARCH HEADER', {
				source: 'imap',
				code: 'SEARCH_FAILED',
			});
		return found;
	}

	private async download(client: ImapFlow, uid: number): Promise<Readable> {
		const { content } = await client.download(String(uid), undefined, {
			uid: true,
			chunkSize: DOWNLOAD_CHUNK_BYTES,
		});
		if (!content)
			throw new MailIntelError(`UID ${uid} could not be downloaded`, {
				source: 'imap',
				code: 'NOT_FOUND',
				status: 404,
			});
		return content;
	}

	private async auditCopy(
		client: ImapFlow,
		ref: MessageRef,
		folder: string,
		result: RemediationResult,
	): Promise<MessageLocation> {
		const copied = await client.messageCopy(String(ref.uid), folder, { uid: true });
		if (!copied)
			throw new MailIntelError(
				`the server refused to copy UID ${ref.uid} to the audit folder "${folder}"`,
				{
					source: 'imap',
					code: 'COPY_FAILED',
					hint: 'Nothing was changed. Check the audit folder, or turn Audit Copy off.',
				},
			);
		await this.store(client, ref.uid as number, [AUDITED_KEYWORD]);
		record(result, 'auditCopy', true);
		const uid = copied.uidMap?.get(ref.uid as number);
		return this.location(this.at(ref, folder, uid, copied.uidValidity?.toString()));
	}

	/** Categories become IMAP keywords; a name that cannot be a keyword is refused, never mangled. */
	private async keywords(
		client: ImapFlow,
		ref: MessageRef,
		flags: Set<string>,
		categories: string[],
		result: RemediationResult,
	): Promise<void> {
		if (categories.length === 0) return;
		const valid = categories.filter(isKeyword);
		for (const name of categories.filter((category) => !isKeyword(category)))
			result.refused.push({
				action: 'categories',
				reason: `"${name}" cannot be an IMAP keyword (spaces or special characters)`,
			});
		const missing = valid.filter((name) => !flags.has(name));
		if (missing.length > 0) await this.store(client, ref.uid as number, missing);
		if (valid.length > 0) record(result, 'categories', missing.length > 0);
	}

	private async store(client: ImapFlow, uid: number, keywords: string[]): Promise<void> {
		if (!(await client.messageFlagsAdd(String(uid), keywords, { uid: true })))
			throw new MailIntelError(`the server refused to set ${keywords.join(' ')} on UID ${uid}`, {
				source: 'imap',
				code: 'STORE_FAILED',
				hint: 'The folder may not allow keywords (PERMANENTFLAGS without \\*), or its keyword limit is reached.',
			});
	}

	private at(
		ref: MessageRef,
		mailbox: string,
		uid: number | undefined,
		uidValidity: string | undefined,
	): MessageRef {
		return {
			provider: 'imap',
			account: ref.account,
			mailbox,
			id: uid && uidValidity ? `${uidValidity}:${uid}` : '',
			...(uid ? { uid } : {}),
			...(uidValidity ? { uidValidity } : {}),
		};
	}

	private location(ref: MessageRef): MessageLocation {
		return {
			id: ref.id,
			mailbox: ref.mailbox,
			locator:
				ref.uid !== undefined && ref.uidValidity !== undefined
					? formatLocator(ref, this.server)
					: '',
		};
	}
}

/** The leaf parts a user would call attachments, from BODYSTRUCTURE (no byte read). */
export function attachmentsOf(structure: MessageStructureObject | undefined): PresentAttachment[] {
	const found: PresentAttachment[] = [];
	const walk = (node: MessageStructureObject | undefined) => {
		if (!node) return;
		if (node.childNodes?.length) {
			node.childNodes.forEach(walk);
			return;
		}
		const filename = node.dispositionParameters?.filename ?? node.parameters?.name ?? '';
		if (node.disposition !== 'attachment' && !(filename && node.disposition !== 'inline')) return;
		found.push({
			id: node.part ?? '1',
			filename,
			contentType: (node.type ?? 'application/octet-stream').toLowerCase(),
			...(node.description === PLACEHOLDER_DESCRIPTION ? { placeholder: true } : {}),
		});
	};
	walk(structure);
	return found;
}

async function collect(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}
