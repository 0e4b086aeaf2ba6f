/**
 * Email Intel Gmail Trigger benchmarks, against the Gmail fake (test/fakes/gmail) on loopback.
 * Prints one JSON line.
 *
 * p10_gmail_empty_poll_calls — Gmail API calls of a poll that finds nothing new, after a
 *   warm-up (first run + one poll). Goal 1: one `history.list`, whatever the mailbox holds.
 * p10_gmail_sync_vs_bound — messages/s of the trigger's first run ingesting MESSAGES messages
 *   (full sync: list, then `format=raw` downloads parsed into normalized items with the
 *   attachment policy, through the ingest core) ÷ messages/s of a bare client fetching the same
 *   messages `format=raw` at the same concurrency (keep-alive http, JSON parsed, raw decoded,
 *   nothing else). Goal ≥ 0.9: the trigger's own work must hide behind the downloads.
 */
import http from 'node:http';

import { ingest } from '../../lib/ingest/core';
import { newState } from '../../lib/ingest/state';
import { sharedParseWorkers } from '../../lib/mail/parse-workers';
import { DEFAULT_POLICY } from '../../lib/mail/policy';
import type { BufferedAttachment } from '../../lib/mail/parse';
import {
	GmailClient,
	GmailProvider,
	gmailSource,
	gmailTokens,
	type GmailConfig,
	type GmailCursor,
} from '../../lib/providers/gmail';
import { startFakeGmail, type FakeGmail } from '../fakes/gmail';
import { mail } from '../lib/providers/gmail/mail';

const MESSAGES = Number(process.env.GMAIL_BENCH_MESSAGES ?? 5000);
const CONCURRENCY = 10;
const log = (text: string) => process.stderr.write(`${text}\n`);

function configOf(fake: FakeGmail): GmailConfig {
	return {
		auth: { method: 'tokenJson', googleTokenJson: fake.tokenJson() },
		apiBaseUrl: fake.apiBaseUrl,
	};
}

async function poll(config: GmailConfig, state: ReturnType<typeof newState<GmailCursor>>) {
	const provider = new GmailProvider({
		client: new GmailClient({
			apiBaseUrl: config.apiBaseUrl,
			user: 'me',
			tokens: gmailTokens(config),
		}),
		account: 'me',
		parseWorkers: sharedParseWorkers(),
	});
	const run = ingest(
		state,
		[
			gmailSource<BufferedAttachment>(provider, {
				since: new Date(Date.now() - 30 * 86_400_000),
				labels: ['INBOX'],
				policy: DEFAULT_POLICY,
				concurrency: CONCURRENCY,
			}),
		],
		{ memoryKey: 'bench', limit: 100_000, batchSize: 100, retryBudget: 5 },
	);
	let items = 0;
	for (let step = await run.next(); !step.done; step = await run.next()) items += step.value.length;
	return items;
}

async function emptyPollCalls(): Promise<number> {
	const fake = await startFakeGmail();
	try {
		const config = configOf(fake);
		fake.addMessages(Array.from({ length: 50 }, (_, i) => ({ raw: mail(`warm ${i}`) })));
		const state = newState<GmailCursor>('bench');
		await poll(config, state);
		fake.addMessage({ raw: mail('one more') });
		await poll(config, state);
		const before = fake.requests.length;
		const items = await poll(config, state);
		if (items !== 0) throw new Error(`the empty poll emitted ${items} items`);
		return fake.requests.length - before;
	} finally {
		await fake.close();
	}
}

/** The bound: the same downloads, nothing done with them but reading the JSON and decoding raw. */
async function bareFetch(fake: FakeGmail, ids: string[], token: string): Promise<number> {
	const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
	const get = (id: string) =>
		new Promise<void>((resolve, reject) => {
			http
				.get(
					`${fake.apiBaseUrl}/gmail/v1/users/me/messages/${id}?format=raw`,
					{ agent, headers: { authorization: `Bearer ${token}` } },
					(res) => {
						const chunks: Buffer[] = [];
						res.on('data', (chunk: Buffer) => chunks.push(chunk));
						res.on('end', () => {
							const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { raw: string };
							if (res.statusCode !== 200 || Buffer.from(json.raw, 'base64url').length === 0)
								reject(new Error(`bare fetch of ${id}: ${res.statusCode}`));
							else resolve();
						});
					},
				)
				.on('error', reject);
		});
	let next = 0;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: CONCURRENCY }, async () => {
			while (next < ids.length) await get(ids[next++]);
		}),
	);
	const seconds = (performance.now() - started) / 1000;
	agent.destroy();
	return ids.length / seconds;
}

async function syncVsBound() {
	const fake = await startFakeGmail();
	try {
		const now = Date.now();
		const ids = fake
			.addMessages(
				Array.from({ length: MESSAGES }, (_, i) => ({
					raw: mail(`sync ${i}`, { attachment: i % 2 === 0 }),
					internalDate: now - (MESSAGES - i) * 1000,
				})),
			)
			.map((message) => message.id);
		const config = configOf(fake);
		const token = await gmailTokens(config).getAccessToken();
		// Warm-up of both (JIT, sockets): the bare client once over a slice.
		await bareFetch(fake, ids.slice(0, 500), token);
		const bare = await bareFetch(fake, ids, token);
		const started = performance.now();
		const items = await poll(config, newState<GmailCursor>('bench'));
		const ours = items / ((performance.now() - started) / 1000);
		if (items !== MESSAGES) throw new Error(`the sync emitted ${items} of ${MESSAGES} messages`);
		log(`p10 sync: ours ${ours.toFixed(0)} msg/s, bare format=raw client ${bare.toFixed(0)} msg/s`);
		return { ours, bare };
	} finally {
		await fake.close();
	}
}

async function main(): Promise<void> {
	const calls = await emptyPollCalls();
	const sync = await syncVsBound();
	console.log(
		JSON.stringify({
			bench: 'gmail',
			p10_gmail_empty_poll_calls: calls,
			p10_gmail_sync_vs_bound: Number((sync.ours / sync.bare).toFixed(3)),
			p10_gmail_sync_msgs_per_s: Math.round(sync.ours),
			p10_gmail_bare_msgs_per_s: Math.round(sync.bare),
			p10_gmail_messages: MESSAGES,
		}),
	);
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		log(String((error as Error)?.stack ?? error));
		process.exit(1);
	},
);
