import { MailIntelError } from '../../errors';
import { EmittedSet } from '../../ingest/emitted';
import type { ChangeBatch, MessageSummary } from '../../mail/message-ref';
import type { GmailClient } from './client';
import { GMAIL_RECENT_CAP, type GmailCursor } from './cursor';

/** Page sizes: ids only, so the API's maxima. */
const LIST_PAGE_SIZE = 500;
const HISTORY_PAGE_SIZE = 500;

export interface GmailChangeOptions {
	/** Only messages received at or after this instant, on a full sync (the relative start date). */
	since: Date;
	/** At most this many messages in all. */
	limit: number;
	/** Watched label ids; empty: every message except drafts. */
	labels: string[];
	/** A Gmail search query that narrows the full sync (`from:alerts@x has:attachment`). */
	query?: string;
	/** The account as items name it (the mailbox address). */
	account: string;
	signal?: AbortSignal;
}

interface HistoryPage {
	history?: Array<{
		id: string;
		messagesAdded?: Array<{ message: { id: string; threadId?: string; labelIds?: string[] } }>;
	}>;
	nextPageToken?: string;
	historyId?: string;
}

interface ListPage {
	messages?: Array<{ id: string; threadId?: string }>;
	nextPageToken?: string;
}

/** What the changes feed learned of each message it handed out, for the source (source.ts). */
export interface SeenMessage {
	/** The history record that added it; undefined when it came from a full sync. */
	record?: string;
	labels?: string[];
}

/**
 * New messages of a mailbox since `cursor`, oldest first, at most `options.limit`:
 * - no cursor (first run), or a sync that stopped at a limit: a full sync (fullSync);
 * - else `history.list?startHistoryId&historyTypes=messageAdded`, paged; a `404` means the id
 *   expired (they last about a week) and becomes a full sync from the start date, without
 *   re-emitting what the cursor remembers.
 * An empty poll is one request. A message added with two watched labels is one message.
 */
export async function* gmailChanges(
	client: GmailClient,
	cursor: GmailCursor | undefined,
	options: GmailChangeOptions,
	seen: Map<string, SeenMessage>,
): AsyncGenerator<ChangeBatch<GmailCursor>> {
	const emitted = new EmittedSet(cursor, GMAIL_RECENT_CAP);
	if (!cursor?.historyId || cursor.syncing) {
		yield* fullSync(client, cursor?.syncing ? cursor.historyId : undefined, emitted, options, seen);
		return;
	}
	const watched = new Set(options.labels);
	let pageToken: string | undefined;
	let count = 0;
	for (;;) {
		let page: HistoryPage;
		try {
			page = await client.json<HistoryPage>({
				path: 'history',
				query: {
					startHistoryId: cursor.historyId,
					historyTypes: 'messageAdded',
					maxResults: HISTORY_PAGE_SIZE,
					// One label: Gmail filters. Several: every record, filtered here (labelId takes one).
					labelId: options.labels.length === 1 ? options.labels[0] : undefined,
					pageToken,
				},
				signal: options.signal,
			});
		} catch (error) {
			if (!(error instanceof MailIntelError) || error.status !== 404 || pageToken) throw error;
			// The history id expired: list the start window again (DESIGN.md §3).
			for await (const batch of fullSync(client, undefined, emitted, options, seen))
				yield { ...batch, resynced: true };
			return;
		}
		const messages: MessageSummary[] = [];
		let lastRecord: string | undefined;
		let cut = false;
		for (const record of page.history ?? []) {
			const added: MessageSummary[] = [];
			for (const { message } of record.messagesAdded ?? []) {
				if (!message?.id || seen.has(message.id) || emitted.has(message.id, undefined)) continue;
				const labels = message.labelIds ?? [];
				const mailbox = watchedLabel(labels, watched);
				if (mailbox === undefined) continue;
				seen.set(message.id, { record: record.id, labels });
				added.push(summary(message.id, mailbox, options.account));
			}
			if (count + messages.length + added.length > options.limit && count + messages.length > 0) {
				for (const message of added) seen.delete(message.id);
				cut = true;
				break;
			}
			for (const message of added) emitted.add(message.id, undefined);
			messages.push(...added);
			lastRecord = record.id;
		}
		count += messages.length;
		const done = !page.nextPageToken && !cut;
		if (messages.length > 0 || done) {
			yield {
				messages,
				cursor: {
					// All read: the mailbox's newest id. Stopped at the limit: the last record taken.
					historyId: (done ? page.historyId : lastRecord) ?? lastRecord ?? cursor.historyId,
					...emitted.toMemory(),
				},
				more: !done,
			};
		}
		if (done || cut || options.signal?.aborted) return;
		pageToken = page.nextPageToken;
	}
}

/**
 * Lists the start window (`after:` the start date, each watched label, the query), oldest
 * first, skipping what `emitted` holds, and yields it in pages. The history id to go on from
 * is read BEFORE listing (users.getProfile), so mail arriving during the sync is in the
 * history that follows (and what the listing also caught is skipped there as emitted). While
 * messages wait beyond the limit the cursor says `syncing`: the next poll lists again.
 */
async function* fullSync(
	client: GmailClient,
	resumeHistoryId: string | undefined,
	emitted: EmittedSet,
	options: GmailChangeOptions,
	seen: Map<string, SeenMessage>,
): AsyncGenerator<ChangeBatch<GmailCursor>> {
	const historyId =
		resumeHistoryId ??
		(await client.json<{ historyId: string }>({ path: 'profile', signal: options.signal }))
			.historyId;
	const after = `after:${Math.floor(options.since.getTime() / 1000)}`;
	const q = options.query?.trim() ? `${after} ${options.query.trim()}` : after;
	const ids = new Map<string, string>(); // id -> the watched label it was listed under
	for (const label of options.labels.length > 0 ? options.labels : [undefined]) {
		let pageToken: string | undefined;
		do {
			const page = await client.json<ListPage>({
				path: 'messages',
				query: {
					q,
					maxResults: LIST_PAGE_SIZE,
					labelIds: label,
					includeSpamTrash: label === 'SPAM' || label === 'TRASH' ? 'true' : undefined,
					pageToken,
				},
				signal: options.signal,
			});
			for (const message of page.messages ?? [])
				if (!ids.has(message.id)) ids.set(message.id, label ?? 'ALL');
			pageToken = page.nextPageToken;
		} while (pageToken);
	}
	// Oldest first. Gmail lists newest first per label; ids from several labels are merged by
	// id, which Gmail allocates in increasing order as mail arrives (hex, compared by length first).
	const pending = [...ids]
		.filter(([id]) => !emitted.has(id, undefined))
		.sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
	const taken = pending.slice(0, options.limit);
	const finished = taken.length === pending.length;
	for (let start = 0; start < taken.length || start === 0; start += LIST_PAGE_SIZE) {
		const chunk = taken.slice(start, start + LIST_PAGE_SIZE);
		const messages = chunk.map(([id, mailbox]) => {
			seen.set(id, {});
			emitted.add(id, undefined);
			return summary(id, mailbox, options.account);
		});
		const last = start + LIST_PAGE_SIZE >= taken.length;
		yield {
			messages,
			cursor: {
				historyId,
				...(last && finished ? {} : { syncing: true }),
				...emitted.toMemory(),
			},
			more: !(last && finished),
		};
		if (last) return;
	}
}

/** The first watched label the message carries; every label but drafts when none is watched. */
function watchedLabel(labels: string[], watched: Set<string>): string | undefined {
	if (watched.size === 0) return labels.includes('DRAFT') ? undefined : 'ALL';
	return labels.find((label) => watched.has(label));
}

function summary(id: string, mailbox: string, account: string): MessageSummary {
	return { provider: 'gmail', account, mailbox, id };
}
