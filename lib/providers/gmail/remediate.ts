import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { MailIntelError } from '../../errors';
import { formatLocator } from '../../mail/locator';
import type { AttachmentSink } from '../../mail/parse';
import type { NormalizedEmail } from '../../mail/types';
import {
	GMAIL_AUDITED_LABEL,
	GMAIL_MESSAGE_ID_DOMAIN,
	gmailQuarantineMarker,
	parseGmailQuarantineMarker,
	REWRITE_OF_HEADER,
	rewriteOf,
} from '../../remediation/markers';
import { planRewrite, recordRewrite, rewriteSpecOf } from '../../remediation/plan';
import { rewriteMessage, type RewriteOutcome } from '../../remediation/rewrite';
import type { RemediationPolicy } from '../../remediation/policy';
import {
	emptyResult,
	record,
	type MessageLocation,
	type RemediationResult,
} from '../../remediation/result';
import type { ReleaseOptions, RemediationTarget, Remediator } from '../../remediation/types';
import { GmailLabels } from './labels';
import { labelMailbox, type GmailProvider } from './provider';

/**
 * Remediation on Gmail. Labels are changed with `messages.modify` (categories = labels, created
 * when missing with `labels.create`, added to the message's own). Quarantine adds the quarantine
 * label and removes INBOX, and records both on a hidden marker label (GMAIL quarantine marker)
 * so Release puts back exactly what was taken. The API cannot edit a message, so a rewrite is:
 * the untouched original inserted once more under the audit label -> the new MIME (the same
 * streamed rewriter as IMAP) inserted with the original's labels and thread,
 * `internalDateSource=dateHeader` -> only then the original trashed. The rewrite carries
 * REWRITE_OF_HEADER: a run cut between insert and trash finds it (`rfc822msgid:` search, then
 * the header of each hit) and only trashes the original, leaving one copy.
 */

/** Labels of the original the rewrite does not get: DRAFT cannot be inserted, TRASH would hide it. */
const NOT_COPIED = new Set(['DRAFT', 'TRASH']);

interface LabelledMessage {
	id: string;
	labels: string[];
}

interface GmailMessageState extends LabelledMessage {
	threadId?: string;
	email: NormalizedEmail;
}

interface MetadataAnswer {
	id: string;
	labelIds?: string[];
	payload?: { headers?: Array<{ name: string; value: string }> };
}

export class GmailRemediator implements Remediator {
	private readonly labels: GmailLabels;

	constructor(private readonly provider: GmailProvider) {
		this.labels = new GmailLabels(provider.client);
	}

	async remediate(
		target: RemediationTarget,
		policy: RemediationPolicy,
	): Promise<RemediationResult> {
		const id = this.checked(target);
		let message = await this.read(id);
		const result = emptyResult('gmail', 'remediate', this.location(message.id, message.labels));
		if (message.labels.includes('TRASH')) {
			// Trashed: by an earlier run that finished its rewrite (or by someone else).
			const rewritten = await this.findRewrite(message);
			if (!rewritten)
				throw new MailIntelError(`the Gmail message ${id} is in the trash`, {
					source: 'gmail',
					code: 'NOT_FOUND',
					status: 404,
					hint: 'It was deleted after the trigger saw it; there is nothing left to remediate.',
				});
			message = await this.read(rewritten);
			result.notes.push(
				`the original was already replaced by its rewrite (${rewritten}) in an earlier run`,
			);
		}

		const email = message.email;
		const plan = planRewrite(
			{
				subject: email.subject,
				header: (name) => email.headers[name.toLowerCase()]?.[0],
				attachments: email.attachments.map((attachment) => ({
					id: attachment.id,
					filename: attachment.filename,
					contentType: attachment.contentType,
				})),
			},
			policy,
			target.scan,
			result,
		);
		let current: LabelledMessage = message;
		if (plan.rewrite) {
			let rewritten = await this.findRewrite(message);
			let outcome: RewriteOutcome | undefined;
			if (rewritten) {
				result.notes.push(
					`a rewrite from an interrupted earlier run was found (${rewritten}); only the original is trashed now`,
				);
			} else {
				if (policy.auditFolder) await this.auditCopy(message, policy.auditFolder, result);
				// Without a Message-ID nothing could find the rewrite again after a cut: it gets one.
				const extra: Array<[string, string]> = email.messageId
					? []
					: [['Message-ID', `<${this.marker(message)}@${GMAIL_MESSAGE_ID_DOMAIN}>`]];
				const spec = rewriteSpecOf(plan, policy, this.marker(message), extra);
				const labels = (await this.withoutMarkers(message.labels)).filter(
					(label) => !NOT_COPIED.has(label),
				);
				rewritten = await this.insert(message, labels, async () => {
					const rewrite = rewriteMessage(await this.provider.source(this.ref(message)), spec);
					outcome = rewrite.outcome;
					return rewrite.stream;
				});
			}
			await this.provider.client.json({
				method: 'POST',
				path: `messages/${encodeURIComponent(message.id)}/trash`,
				idempotent: true,
			});
			recordRewrite(result, plan, outcome);
			// Its labels only: the rewrite's bytes are not downloaded again.
			const inserted = await this.metadata(rewritten);
			current = { id: rewritten, labels: inserted.labelIds ?? [] };
		}

		await this.applyLabels(current, policy, result);
		result.after = this.location(current.id, current.labels);
		return result;
	}

	async release(target: RemediationTarget, options: ReleaseOptions): Promise<RemediationResult> {
		const id = this.checked(target);
		const message = await this.metadata(id);
		const labels = message.labelIds ?? [];
		const result = emptyResult('gmail', 'release', this.location(id, labels));
		let marker: { id: string; quarantine: string; removed: string[] } | undefined;
		for (const label of labels) {
			const parsed = parseGmailQuarantineMarker((await this.labels.nameOf(label)) ?? '');
			if (parsed) marker = { id: label, ...parsed };
		}
		if (!marker)
			throw new MailIntelError(`the Gmail message ${id} was not quarantined by this node`, {
				source: 'gmail',
				code: 'NOT_QUARANTINED',
				hint: 'Release works on messages the Remediate operation quarantined (they carry a hidden "Email Intel/Quarantined in …" label).',
			});
		const add = marker.removed.filter((label) => !labels.includes(label));
		const remove = [marker.quarantine, marker.id].filter((label) => labels.includes(label));
		const after = await this.modify(id, add, remove);
		record(result, 'release', true);
		if (options.subjectTag)
			result.notes.push(
				'Gmail: the subject tag stays (taking it off would need another rewrite); the quarantine label was removed',
			);
		result.after = this.location(id, after);
		return result;
	}

	async close(): Promise<void> {
		await this.provider.close();
	}

	/** The locator must name this credential's mailbox: an action is never applied to another one. */
	private checked(target: RemediationTarget): string {
		const ref = target.ref;
		if (ref.provider !== 'gmail' || !ref.id)
			throw new MailIntelError(`"${target.locator}" is not a Gmail message locator`, {
				source: 'config',
				code: 'BAD_LOCATOR',
				field: 'locator',
				hint: 'Give the locator of an item from the Email Intel Gmail Trigger: gmail://me/messages/{id}.',
			});
		if (ref.account.toLowerCase() !== this.provider.account.toLowerCase())
			throw new MailIntelError(
				`the locator names the mailbox ${ref.account}, but the credential acts as ${this.provider.account}`,
				{
					source: 'config',
					code: 'WRONG_ACCOUNT',
					field: 'locator',
					hint: 'Choose the Gmail credential of the mailbox the item came from.',
				},
			);
		return ref.id;
	}

	/** The message as it is now: labels, thread, and the parsed headers and attachment list (bytes drained, never held). */
	private async read(id: string): Promise<GmailMessageState> {
		const drain: AttachmentSink<null> = async (_info, content) => {
			content.resume();
			await new Promise((resolve) => content.once('end', resolve));
			return null;
		};
		const parsed = await this.provider.fetch(
			{ provider: 'gmail', account: this.provider.account, mailbox: '', id },
			{
				mimeTypes: ['*'],
				includeInline: false,
				maxAttachmentBytes: Number.MAX_SAFE_INTEGER,
				maxTextChars: 0,
			},
			drain,
		);
		const email = parsed.email;
		return {
			id,
			labels: email.labels,
			email,
			...(email.threadId ? { threadId: email.threadId } : {}),
		};
	}

	private async metadata(id: string, headers: string[] = []): Promise<MetadataAnswer> {
		return this.provider.client.json<MetadataAnswer>({
			path: `messages/${encodeURIComponent(id)}`,
			query: { format: 'metadata', metadataHeaders: headers },
		});
	}

	/** REWRITE_OF_HEADER's value for an original: a hash of the mailbox and the message id. */
	private marker(message: GmailMessageState): string {
		return rewriteOf({ account: this.provider.account, mailbox: 'gmail', id: message.id });
	}

	/**
	 * The rewrite an earlier run inserted for `message`, if any: the messages of its Message-ID
	 * (`rfc822msgid:`; Gmail cannot search other headers), each checked for the marker header.
	 */
	private async findRewrite(message: GmailMessageState): Promise<string | undefined> {
		const marker = this.marker(message);
		const messageId = (message.email.messageId ?? `${marker}@${GMAIL_MESSAGE_ID_DOMAIN}`).replace(
			/^<|>$/g,
			'',
		);
		const { messages = [] } = await this.provider.client.json<{ messages?: Array<{ id: string }> }>(
			{ path: 'messages', query: { q: `rfc822msgid:${messageId}`, maxResults: 50 } },
		);
		for (const candidate of messages) {
			if (candidate.id === message.id) continue;
			const found = await this.metadata(candidate.id, [REWRITE_OF_HEADER]);
			const value = found.payload?.headers?.find(
				(header) => header.name.toLowerCase() === REWRITE_OF_HEADER.toLowerCase(),
			)?.value;
			if (value?.trim() === marker) return candidate.id;
		}
		return undefined;
	}

	/** The untouched original, inserted once more with the audit label only; the original then carries GMAIL_AUDITED_LABEL. */
	private async auditCopy(
		message: GmailMessageState,
		labelName: string,
		result: RemediationResult,
	): Promise<void> {
		const audited = await this.labels.ensure(GMAIL_AUDITED_LABEL, { hidden: true });
		if (message.labels.includes(audited)) {
			result.notes.push('the audit copy an interrupted earlier run made is kept; no second copy');
			return;
		}
		const label = await this.labels.ensure(labelName);
		const copy = await this.insert(message, [label], () => this.provider.source(this.ref(message)));
		// Recorded on the original before it is changed: a retry does not copy again.
		await this.modify(message.id, [audited], []);
		result.audit = this.location(copy, [label]);
		record(result, 'auditCopy', true);
	}

	/**
	 * `messages.insert` as a multipart upload: the JSON (labels, thread) then the message as
	 * `open` streams it. Never retried blindly (an insert is not idempotent); the marker header
	 * reconciles a lost answer on the next run.
	 */
	private async insert(
		message: GmailMessageState,
		labelIds: string[],
		open: () => Promise<Readable>,
	): Promise<string> {
		const boundary = `email_intel_${randomBytes(16).toString('hex')}`;
		const metadata = JSON.stringify({
			labelIds,
			...(message.threadId ? { threadId: message.threadId } : {}),
		});
		const inserted = await this.provider.client.json<{ id: string }>({
			method: 'POST',
			path: 'messages',
			query: { uploadType: 'multipart', internalDateSource: 'dateHeader' },
			upload: {
				contentType: `multipart/related; boundary=${boundary}`,
				open: () =>
					Readable.from(
						(async function* () {
							yield Buffer.from(
								`--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${metadata}\r\n` +
									`--${boundary}\r\nContent-Type: message/rfc822\r\n\r\n`,
							);
							yield* await open();
							yield Buffer.from(`\r\n--${boundary}--\r\n`);
						})(),
						{ objectMode: false },
					),
			},
		});
		if (!inserted.id)
			throw new MailIntelError('Gmail accepted messages.insert but returned no message id', {
				source: 'gmail',
				code: 'INSERT_LOST',
				hint: 'The original was left in place; run again to reconcile.',
			});
		return inserted.id;
	}

	/** Labels (categories) and quarantine, in one `messages.modify`; what the message has already is not sent. */
	private async applyLabels(
		message: LabelledMessage,
		policy: RemediationPolicy,
		result: RemediationResult,
	): Promise<void> {
		const add: string[] = [];
		const remove: string[] = [];
		if (policy.categories.length > 0) {
			const wanted = await Promise.all(policy.categories.map((name) => this.labels.ensure(name)));
			const missing = wanted.filter((label) => !message.labels.includes(label));
			add.push(...missing);
			record(result, 'categories', missing.length > 0);
		}
		if (policy.quarantineFolder) {
			const quarantine = await this.labels.ensure(policy.quarantineFolder);
			if (message.labels.includes(quarantine)) record(result, 'quarantine', false);
			else {
				const removed = quarantine !== 'INBOX' && message.labels.includes('INBOX') ? ['INBOX'] : [];
				const marker = await this.labels.ensure(gmailQuarantineMarker(quarantine, removed), {
					hidden: true,
				});
				add.push(quarantine, marker);
				remove.push(...removed);
				record(result, 'quarantine', true);
			}
		}
		if (add.length > 0 || remove.length > 0)
			message.labels = await this.modify(message.id, [...new Set(add)], remove);
	}

	private async modify(id: string, add: string[], remove: string[]): Promise<string[]> {
		const answer = await this.provider.client.json<{ labelIds?: string[] }>({
			method: 'POST',
			path: `messages/${encodeURIComponent(id)}/modify`,
			body: { addLabelIds: add, removeLabelIds: remove },
			idempotent: true, // adds and removes labels: a repeat changes nothing
		});
		return answer.labelIds ?? [];
	}

	/** The labels without our own bookkeeping labels (they describe the original, not its rewrite). */
	private async withoutMarkers(labels: string[]): Promise<string[]> {
		const audited = await this.labels.find(GMAIL_AUDITED_LABEL);
		return labels.filter((label) => label !== audited);
	}

	private ref(message: GmailMessageState) {
		return {
			provider: 'gmail' as const,
			account: this.provider.account,
			mailbox: '',
			id: message.id,
		};
	}

	/** Gmail has no folders: a message's "mailbox" is its labels, as the provider writes them. */
	private location(id: string, labels: string[]): MessageLocation {
		const mailbox = labelMailbox(labels);
		return {
			id,
			mailbox,
			locator: formatLocator({ provider: 'gmail', account: this.provider.account, mailbox, id }),
		};
	}
}
