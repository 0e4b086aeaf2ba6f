import { ingest } from '../../../../lib/ingest/core';
import { currentState, type IngestState } from '../../../../lib/ingest/state';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import {
	GmailClient,
	GmailProvider,
	gmailIdentity,
	gmailSource,
	gmailTokens,
	type GmailConfig,
	type GmailCursor,
	type GmailItem,
} from '../../../../lib/providers/gmail';
import type { BufferedAttachment } from '../../../../lib/mail/parse';
import type { FakeGmail } from '../../../fakes/gmail';

/**
 * One poll of a Gmail mailbox through the ingest core, as the trigger node runs it (without
 * n8n): the state in, the items and the state to store out.
 */
export interface PollOptions {
	labels?: string[];
	limit?: number;
	since?: Date;
	query?: string;
	concurrency?: number;
}

export function tokenJsonConfig(fake: FakeGmail): GmailConfig {
	return {
		auth: { method: 'tokenJson', googleTokenJson: fake.tokenJson() },
		apiBaseUrl: fake.apiBaseUrl,
	};
}

export function clientFor(config: GmailConfig, user = 'me'): GmailClient {
	return new GmailClient({
		apiBaseUrl: config.apiBaseUrl,
		user,
		tokens: gmailTokens(config),
		// Throttled answers are retried at once: the tests are about what is emitted, not waits.
		retry: { sleep: async () => undefined, baseDelayMs: 1, maxDelayMs: 1 },
	});
}

export async function pollOnce(
	config: GmailConfig,
	stored: IngestState<GmailCursor> | undefined,
	options: PollOptions = {},
): Promise<{
	items: Array<GmailItem<BufferedAttachment>>;
	state: IngestState<GmailCursor>;
	failures: Array<{ scope: string; error: Error }>;
}> {
	const provider = new GmailProvider({
		client: clientFor(config),
		account: 'me',
		...(options.query ? { query: options.query } : {}),
	});
	const state = currentState(
		stored ? (JSON.parse(JSON.stringify(stored)) as IngestState<GmailCursor>) : undefined,
		gmailIdentity(config),
		['me'],
	);
	const run = ingest(
		state,
		[
			gmailSource<BufferedAttachment>(provider, {
				since: options.since ?? new Date(Date.now() - 30 * 86_400_000),
				labels: options.labels ?? ['INBOX'],
				policy: DEFAULT_POLICY,
				...(options.concurrency ? { concurrency: options.concurrency } : {}),
			}),
		],
		{ memoryKey: 'test', limit: options.limit ?? 10_000, batchSize: 100, retryBudget: 5 },
	);
	const items: Array<GmailItem<BufferedAttachment>> = [];
	for (let step = await run.next(); ; step = await run.next()) {
		if (step.done) {
			await provider.close();
			return { items, state, failures: step.value.failures };
		}
		items.push(...step.value);
	}
}
