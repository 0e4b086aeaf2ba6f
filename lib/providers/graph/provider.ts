import type { Readable } from 'node:stream';

import { MailIntelError } from '../../errors';
import type { AttachmentSink, ParsedEmail } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import type {
	ChangeBatch,
	ChangeOptions,
	FlagChange,
	MailProvider,
	MessageRef,
	MessageSummary,
} from '../types';
import { folderPath, isMissingSyncState, userPath, type GraphClient } from './client';
import { EmittedSet, type GraphCursor } from './cursor';
import {
	MESSAGE_SELECT,
	mapGraphMessage,
	type GraphAttachment,
	type GraphMessage,
} from './message';

export interface GraphProviderOptions {
	client: GraphClient;
	/** The mailbox (UPN) this provider reads. */
	account: string;
	/** Delta page size asked for with `Prefer: odata.maxpagesize` (Graph's default is 10). */
	pageSize?: number;
	/** Download item attachments as .eml too (default: listed with `skipped: "kind"`). */
	includeItemAttachments?: boolean;
	/**
	 * The URL segment of a configured folder (folders.ts: a display name or path becomes its id).
	 * Without it the folder is used as given (a well-known name or an id).
	 */
	resolveFolder?: (folder: string) => Promise<string>;
}

interface DeltaPage {
	value: GraphMessage[];
	'@odata.nextLink'?: string;
	'@odata.deltaLink'?: string;
}

const ATTACHMENT_SELECT = 'id,name,contentType,size,isInline,contentId';

/**
 * Microsoft Graph as a MailProvider. `changes()` is one delta pass over a folder, from the
 * stored link; the messages it returns are remembered so `fetch()` maps them without asking
 * Graph again. All requests go through GraphClient (ImmutableId, retry, 4 per mailbox).
 */
export class GraphProvider implements MailProvider<GraphCursor> {
	readonly provider = 'graph' as const;
	readonly account: string;
	private readonly client: GraphClient;
	private readonly pageSize: number;
	private readonly fromDelta = new Map<string, GraphMessage>();

	constructor(private readonly options: GraphProviderOptions) {
		this.client = options.client;
		this.account = options.account;
		this.pageSize = options.pageSize ?? 100;
	}

	/** The first delta request of a folder (given as configured: its id is resolved here). */
	async deltaStart(folder: string, since: Date): Promise<string> {
		const filter = `receivedDateTime ge ${since.toISOString()}`;
		return `${await this.folderPath(folder)}/messages/delta?$select=${MESSAGE_SELECT}&$filter=${encodeURIComponent(filter)}`;
	}

	/**
	 * One delta pass. Yields a batch per page that brought new messages, and a last batch whose
	 * cursor is the deltaLink. An expired delta token (410 / syncStateNotFound) restarts from
	 * the start date; what the cursor remembers as emitted is not emitted again.
	 */
	async *changes(
		folder: string,
		cursor: GraphCursor | undefined,
		options: ChangeOptions,
	): AsyncIterable<ChangeBatch<GraphCursor>> {
		const emitted = new EmittedSet(cursor);
		const seen = new Set<string>();
		let seq = cursor?.seq ?? 0;
		let link = cursor?.link ?? (await this.deltaStart(folder, options.since));
		let resynced = false;
		let count = 0;
		const sinceMs = options.since.getTime();
		for (;;) {
			let page: DeltaPage;
			try {
				({ data: page } = await this.client.json<DeltaPage>({
					method: 'GET',
					url: link,
					mailbox: this.account,
					// Never ask for more than the run may still emit: the nextLink then resumes exactly there.
					prefer: [
						`odata.maxpagesize=${Math.max(1, Math.min(this.pageSize, options.limit - count))}`,
					],
				}));
			} catch (error) {
				if (!isMissingSyncState(error) || resynced) throw error;
				// The delta token expired: list the folder again from the start date (README "Exactly once").
				resynced = true;
				link = await this.deltaStart(folder, options.since);
				continue;
			}
			const messages: MessageSummary[] = [];
			for (const message of page.value ?? []) {
				if (message['@removed'] || seen.has(message.id)) continue;
				seen.add(message.id);
				const received = message.receivedDateTime;
				if (received && Date.parse(received) < sinceMs) continue;
				if (emitted.has(message.id, received)) continue;
				emitted.add(message.id, received);
				this.fromDelta.set(message.id, message);
				messages.push({
					provider: 'graph',
					account: this.account,
					mailbox: folder,
					id: message.id,
					...(message.internetMessageId ? { messageId: message.internetMessageId } : {}),
					...(received ? { receivedAt: received, date: message.sentDateTime ?? received } : {}),
				});
			}
			messages.sort((a, b) => (a.receivedAt ?? '').localeCompare(b.receivedAt ?? ''));
			const next = page['@odata.nextLink'];
			const done = next === undefined;
			const nextLink = next ?? page['@odata.deltaLink'];
			if (!nextLink) {
				throw new MailIntelError('Graph delta page carried neither a nextLink nor a deltaLink', {
					source: 'graph',
					code: 'BAD_DELTA_PAGE',
				});
			}
			link = nextLink;
			count += messages.length;
			if (messages.length > 0 || done) {
				yield {
					messages,
					cursor: emitted.toCursor(link, ++seq),
					more: !done,
					...(resynced ? { resynced } : {}),
				};
			}
			if (done || count >= options.limit || options.signal?.aborted) return;
		}
	}

	/** The newest message of a folder (a trigger's "Fetch Test Event"), or undefined when empty. No cursor is read or written. */
	async newest(folder: string): Promise<MessageSummary | undefined> {
		const { data } = await this.client.json<{ value?: GraphMessage[] }>({
			method: 'GET',
			url: `${await this.folderPath(folder)}/messages?$top=1&$orderby=receivedDateTime%20desc&$select=${MESSAGE_SELECT}`,
			mailbox: this.account,
		});
		const message = data.value?.[0];
		if (!message) return undefined;
		this.fromDelta.set(message.id, message);
		return {
			provider: 'graph',
			account: this.account,
			mailbox: folder,
			id: message.id,
			...(message.receivedDateTime ? { receivedAt: message.receivedDateTime } : {}),
		};
	}

	/**
	 * Maps one message with its attachments. A transient failure (a download cut, a 5xx after
	 * the retries, a sink write) rejects with a retryable MailIntelError so the caller fetches
	 * the message again from the same cursor; `recordTransientFailures` (set by the ingest core
	 * once a message failed on N polls in a row) records it on the attachment instead.
	 */
	async fetch<T>(
		ref: MessageRef,
		policy: AttachmentPolicy,
		sink?: AttachmentSink<T>,
		options: { recordTransientFailures?: boolean } = {},
	): Promise<ParsedEmail<T>> {
		let message = this.fromDelta.get(ref.id);
		this.fromDelta.delete(ref.id);
		if (!message) {
			({ data: message } = await this.client.json<GraphMessage>({
				method: 'GET',
				url: `${this.messagePath(ref.id)}?$select=${MESSAGE_SELECT}`,
				mailbox: this.account,
			}));
		}
		return mapGraphMessage(message, {
			...options,
			account: this.account,
			mailbox: ref.mailbox,
			policy,
			sink,
			extraKinds: this.options.includeItemAttachments ? ['itemAttachment'] : [],
			listAttachments: async () => {
				const { data } = await this.client.json<{ value: GraphAttachment[] }>({
					method: 'GET',
					url: `${this.messagePath(ref.id)}/attachments?$select=${ATTACHMENT_SELECT}`,
					mailbox: this.account,
				});
				return data.value ?? [];
			},
			readAttachment: (attachmentId) => this.attachment(ref, attachmentId),
			recordTransientFailures: options.recordTransientFailures,
		});
	}

	async source(ref: MessageRef): Promise<Readable> {
		const { data } = await this.client.stream({
			method: 'GET',
			url: `${this.messagePath(ref.id)}/$value`,
			mailbox: this.account,
		});
		return data;
	}

	async attachment(ref: MessageRef, attachmentId: string): Promise<Readable> {
		const { data } = await this.client.stream({
			method: 'GET',
			url: `${this.messagePath(ref.id)}/attachments/${encodeURIComponent(attachmentId)}/$value`,
			mailbox: this.account,
		});
		return data;
	}

	async move(ref: MessageRef, destination: string): Promise<MessageRef> {
		this.forget(ref);
		// With ImmutableId the moved message keeps its id; the response carries it either way.
		const { data } = await this.client.json<GraphMessage>({
			method: 'POST',
			url: `${this.messagePath(ref.id)}/move`,
			mailbox: this.account,
			body: { destinationId: destination },
		});
		return { ...ref, mailbox: destination, id: data.id };
	}

	async setFlags(ref: MessageRef, change: FlagChange): Promise<void> {
		this.forget(ref);
		const { data } = await this.client.json<GraphMessage>({
			method: 'GET',
			url: `${this.messagePath(ref.id)}?$select=categories`,
			mailbox: this.account,
		});
		const categories = new Set(data.categories ?? []);
		for (const name of change.add ?? []) categories.add(name);
		for (const name of change.remove ?? []) categories.delete(name);
		await this.client.json({
			method: 'PATCH',
			url: this.messagePath(ref.id),
			mailbox: this.account,
			body: { categories: [...categories] },
			idempotent: true, // sets the whole list: a repeat changes nothing
		});
	}

	async deleteAttachment(ref: MessageRef, attachmentId: string): Promise<MessageRef> {
		this.forget(ref);
		await this.client.json({
			method: 'DELETE',
			url: `${this.messagePath(ref.id)}/attachments/${encodeURIComponent(attachmentId)}`,
			mailbox: this.account,
		});
		return ref;
	}

	async close(): Promise<void> {
		this.fromDelta.clear();
	}

	/** A message this provider changes is read again by the next fetch, not from the delta page. */
	private forget(ref: MessageRef): void {
		this.fromDelta.delete(ref.id);
	}

	private async folderPath(folder: string): Promise<string> {
		return folderPath(this.account, (await this.options.resolveFolder?.(folder)) ?? folder);
	}

	private messagePath(id: string): string {
		return `${userPath(this.account)}/messages/${encodeURIComponent(id)}`;
	}
}
