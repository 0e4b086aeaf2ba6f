import { MailIntelError, errorMessage, failureClass, isMailIntelError } from '../errors';
import { clearFailure, failedAttempts, recordFailure } from './memory';
import type { IngestSource, Processed } from './source';
import type { IngestState } from './state';

/**
 * The one exactly-once core, used by every trigger of the pack (IMAP, both Microsoft 365
 * triggers, Gmail). Per scope (mailbox / folder / label):
 *
 *   read changes since the scope's cursor → build every item (bodies and attachments stored)
 *   → only then move that scope's cursor → hand the items on
 *
 * Items leave in batches of at most `batchSize` (one n8n execution each). When a batch is
 * yielded, `state` holds, for every scope, the cursor that covers exactly the items yielded so
 * far: the caller stores it with the batch (static data), so a crash, a restart or a failure
 * after any batch resumes right after it. Nothing is committed past an item that was not built.
 *
 * Failures, classified in one place (lib/errors.ts failureClass):
 * - transient (network, timeout, throttling, a binary-store write, a cut stream): the scope
 *   stops at that message, keeps what it completed before it, and is retried from there next
 *   run; other scopes go on;
 * - permanent for the whole message (the provider cannot read it at all): the message is
 *   emitted as an item that carries the failure (`ingestError`), never silently skipped;
 * - a message that failed transiently on `retryBudget` runs in a row is built once more with
 *   its part failures recorded on the item, or emitted carrying the failure: one poison
 *   message can never block its scope forever.
 */
/** Runs in a row a message may fail transiently before it is emitted with its failure recorded. */
export const DEFAULT_RETRY_BUDGET = 5;

export interface IngestOptions {
	/** Prefix of this run's process memory (failure records): owner + state epoch. */
	memoryKey: string;
	/** Items in this run across all scopes, at most; the rest waits for the next run. */
	limit: number;
	/** Items per yielded batch, at most. */
	batchSize: number;
	/** Runs in a row a message may fail transiently before it is emitted with its failure recorded. */
	retryBudget: number;
}

export interface ScopeFailure {
	scope: string;
	error: MailIntelError;
}

export interface IngestResult {
	/** Scopes that stopped on a transient failure; their cursors stop before the failed message. */
	failures: ScopeFailure[];
	/** Messages are waiting beyond `limit`. */
	more: boolean;
}

export async function* ingest<Cursor, Item>(
	state: IngestState<Cursor>,
	sources: Array<IngestSource<Cursor, Item>>,
	options: IngestOptions,
): AsyncGenerator<Item[], IngestResult, void> {
	const failures: ScopeFailure[] = [];
	let pending: Item[] = [];
	let handedOn = 0;
	let more = false;
	const take = () => {
		const batch = pending;
		pending = [];
		handedOn += batch.length;
		return batch;
	};

	for (const source of sources) {
		const remaining = options.limit - handedOn - pending.length;
		if (remaining <= 0) {
			more = true;
			break;
		}
		const scope = (state.scopes[source.scope] ??= {});
		const memory = `${options.memoryKey}:${source.scope}`;
		const recordTransientFailures = (id: string) =>
			failedAttempts(memory, id) >= options.retryBudget - 1;
		const batches = source.changes(scope.cursor, remaining)[Symbol.asyncIterator]();
		try {
			let next = batches.next();
			for (;;) {
				const step = await next;
				if (step.done) break;
				const batch = step.value;
				if (batch.more) more = true;
				// List the next page while this one is built (Graph's delta chain is sequential; the
				// attachment downloads are not). Awaited on the next turn; this only keeps an early
				// failure from going unhandled meanwhile.
				next = batches.next();
				next.catch(() => undefined);

				const before = scope.cursor;
				const done: Array<Processed<Item>> = [];
				let rest = batch.messages;
				let stopped: MailIntelError | undefined;
				while (rest.length > 0 && !stopped) {
					let index = 0;
					try {
						for await (const processed of source.build(rest, { recordTransientFailures })) {
							index++;
							done.push(processed);
							if (processed.item !== undefined) pending.push(processed.item);
							if (pending.length >= options.batchSize) {
								scope.cursor = source.cursorAfter(before, batch, done);
								yield take();
							}
						}
						rest = [];
					} catch (error) {
						const failed = rest[index];
						const failure = asMailIntelError(error, source.scope);
						if (!failed) {
							// Every message was built; the failure came after (releasing a lock, closing a
							// stream). What was built stands; the scope is retried from after it.
							stopped = failure;
							break;
						}
						const final =
							failureClass(failure) === 'permanent' || recordTransientFailures(failed.id);
						if (!final) {
							recordFailure(memory, failed.id);
							stopped = failure;
							break;
						}
						const item = await source.failedItem(
							failed,
							failureClass(failure) === 'permanent'
								? failure
								: new MailIntelError(
										`failed on ${options.retryBudget} runs in a row; last: ${failure.message}`,
										{ source: failure.source, code: 'RETRIES_EXHAUSTED', cause: failure },
									),
						);
						done.push({ summary: failed, item });
						pending.push(item);
						clearFailure(memory);
						if (pending.length >= options.batchSize) {
							scope.cursor = source.cursorAfter(before, batch, done);
							yield take();
						}
						rest = rest.slice(index + 1);
					}
				}
				scope.cursor = source.cursorAfter(before, batch, done);
				if (stopped) throw stopped;
				clearFailure(memory);
			}
		} catch (error) {
			failures.push({ scope: source.scope, error: asMailIntelError(error, source.scope) });
		} finally {
			await batches.return?.(undefined)?.catch(() => undefined);
		}
	}
	if (pending.length > 0) yield take();
	return { failures, more };
}

/**
 * The whole of one run in one result, for callers that hand everything on at once (a webhook
 * pass, a direct poll): `limit` items at most, no batches.
 */
export async function ingestAll<Cursor, Item>(
	state: IngestState<Cursor>,
	sources: Array<IngestSource<Cursor, Item>>,
	options: { memoryKey: string; limit: number; retryBudget?: number },
): Promise<IngestResult & { items: Item[] }> {
	const items: Item[] = [];
	const run = ingest(state, sources, {
		memoryKey: options.memoryKey,
		limit: options.limit,
		batchSize: options.limit,
		retryBudget: options.retryBudget ?? DEFAULT_RETRY_BUDGET,
	});
	for (let step = await run.next(); ; step = await run.next()) {
		if (step.done) return { items, ...step.value };
		items.push(...step.value);
	}
}

function asMailIntelError(error: unknown, scope: string): MailIntelError {
	if (isMailIntelError(error)) return error;
	return new MailIntelError(`${scope}: ${errorMessage(error)}`, {
		source: 'mail',
		retryable: true,
		cause: error,
	});
}
