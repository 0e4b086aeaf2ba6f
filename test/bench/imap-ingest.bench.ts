/**
 * Email Intel IMAP Trigger benchmarks on a loopback Dovecot. Prints one JSON line:
 *
 * p1_ingest_vs_bound — 10,000 generated multipart messages of ~21 KB (text, html, PDF, CSV).
 *   Ours: the trigger node in n8n-core's real PollContext (Max Items per Poll 1,000, so 10
 *   polls on the node's pooled connection, parsing on the calling thread and the node's parse
 *   thread(s); attachments through n8n's binary data service) ÷ the bound: raw imapflow
 *   `UID FETCH 1:* (UID BODY.PEEK[])` + mailparser `simpleParser` per message, one connection,
 *   same run. Each is run twice, alternating, and the better run of each counts. Goal ≥ 0.9.
 *   Both mailboxes are read once before any timing so Dovecot's caches are equally warm.
 * p1_ingest_vs_n8n — ours ÷ n8n's own Email Trigger (IMAP) v2.2 from n8n-nodes-base 2.41.1,
 *   run for real in that install's n8n-core TriggerContext on Node 24 (imap-n8n-baseline.js),
 *   "resolved" output, on a copy of the same mailbox; like the others, the better of two
 *   runs taken in turn with ours. null when the e2e n8n install is absent.
 * p2_empty_poll_ratio — median empty-poll time (as the node does it: a provider on the
 *   connection pool, STATUS, the connection back) on a 100,000-message mailbox ÷ on a
 *   1,000-message one, 200 polls each, taking turns. Goal ≤ 1.2.
 * p2_empty_poll_commands — IMAP commands an empty poll sends on the trigger's pooled connection
 *   (every poll but the first within 10 minutes of the last); goal ≤ 2.
 *   p2_empty_poll_commands_new_connection — the same after the login of a new connection
 *   (imapflow always adds ID and NAMESPACE; the LOGOUT comes later, when the pool lets it go).
 * p3_heap_growth_mb — peak V8 heap growth while ingesting one message with a 200 MB PDF into
 *   a stream sink that writes to disk (what n8n's filesystem binary mode does). Goal < 64.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';

import { sharedParseWorkers } from '../../lib/mail/parse-workers';
import { DEFAULT_POLICY } from '../../lib/mail/policy';
import type { AttachmentSink } from '../../lib/mail/parse';
import { pollImap } from '../../lib/providers/imap/poll';
import { ImapConnectionPool } from '../../lib/providers/imap/pool';
import { ImapProvider, type ImapProviderOptions } from '../../lib/providers/imap/provider';
import { EmailIntelImapTrigger } from '../../nodes/EmailIntelImapTrigger/EmailIntelImapTrigger.node';
import { startHarness } from '../helpers/n8n/trigger';
import { imapCommandLog, settingsFor } from '../lib/providers/imap/poll-helper';
import { cachedN8n } from '../e2e/install';
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { dovecotCredential } from '../imap/credentials';
import { benchMessage as sizedMessage } from './bench-message';
import { barChartSvg } from './chart';

const ROOT = process.cwd();
const MESSAGES = Number(process.env.IMAP_BENCH_MESSAGES ?? 10_000);
const BIG_MAILBOX = Number(process.env.IMAP_BENCH_BIG_MAILBOX ?? 100_000);
const EMPTY_POLL_SAMPLES = 200;
const HUGE_ATTACHMENT_MB = 200;

const log = (text: string) => process.stderr.write(`${text}\n`);

const benchMessage = (i: number) => sizedMessage(i, MESSAGES);

/** A plain imapflow session, as the baselines use it (no pack code involved). */
async function connectRaw(server: DovecotServer): Promise<ImapFlow> {
	const client = new ImapFlow({
		host: server.host,
		port: server.port,
		secure: false,
		doSTARTTLS: false,
		auth: { user: 'alice', pass: server.users.alice },
		logger: false,
		disableAutoIdle: true,
	});
	client.on('error', () => undefined);
	await client.connect();
	return client;
}

/**
 * Reads every message once so Dovecot's caches are equally warm for every contender (the first
 * read of a fresh mailbox costs the server several times more than later ones).
 */
async function warm(server: DovecotServer, mailbox: string): Promise<void> {
	const client = await connectRaw(server);
	const lock = await client.getMailboxLock(mailbox, { readOnly: true });
	try {
		for await (const message of client.fetch(
			'1:*',
			{ uid: true, source: true, size: true, internalDate: true, flags: true },
			{ uid: true },
		))
			void message;
	} finally {
		lock.release();
	}
	await client.logout();
}

/** The bound: one connection, one `UID FETCH 1:*` with the source, simpleParser per message. */
async function bound(server: DovecotServer, mailbox: string): Promise<number> {
	const client = await connectRaw(server);
	const started = performance.now();
	let count = 0;
	const lock = await client.getMailboxLock(mailbox, { readOnly: true });
	try {
		for await (const message of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
			await simpleParser(message.source as Buffer);
			count++;
		}
	} finally {
		lock.release();
	}
	const seconds = (performance.now() - started) / 1000;
	await client.logout();
	log(
		`bound: ${count} messages in ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)} msg/s`,
	);
	return count / seconds;
}

/** Ours: the node in n8n-core's PollContext, 10 polls of 1,000. */
async function ours(server: DovecotServer, mailbox: string): Promise<number> {
	const harness = await startHarness(new EmailIntelImapTrigger(), {
		parameters: { mailboxes: mailbox, options: { maxItemsPerPoll: 1000 } },
		credentials: { emailIntelImapApi: dovecotCredential(server) },
	});
	const started = performance.now();
	let count = 0;
	let polls = 0;
	try {
		for (;;) {
			const result = await harness.poll();
			if (!result) break;
			polls++;
			count += result[0].length;
			harness.executions.length = 0; // the bench keeps no items (n8n hands them on)
		}
	} finally {
		await harness.close();
	}
	const seconds = (performance.now() - started) / 1000;
	if (count !== MESSAGES) throw new Error(`ours: ingested ${count} of ${MESSAGES}`);
	const threads = sharedParseWorkers().parsed;
	log(
		`ours (node in PollContext): ${count} messages in ${polls} polls, ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)} msg/s ` +
			`(parsed so far on the parse thread: ${threads.onThreads}, on n8n's thread: ${threads.onCaller})`,
	);
	return count / seconds;
}

async function n8nBaseline(server: DovecotServer, mailbox: string): Promise<number | null> {
	const install = cachedN8n();
	if (!install) {
		log(
			'n8n baseline: no e2e n8n install in the cache (run `npm run test:e2e` once); p1_ingest_vs_n8n = null',
		);
		return null;
	}
	const { dir, nodeBin } = install;
	const config = {
		host: server.host,
		port: server.port,
		user: 'alice',
		password: server.users.alice,
		mailbox,
		expected: MESSAGES - 1,
		timeoutMs: 20 * 60_000,
	};
	const output = await new Promise<string>((resolve, reject) => {
		const child = spawn(
			nodeBin,
			[path.join(ROOT, 'test/bench/imap-n8n-baseline.js'), dir, JSON.stringify(config)],
			{ stdio: ['ignore', 'pipe', 'pipe'] },
		);
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.on('exit', (code) =>
			code === 0
				? resolve(stdout)
				: reject(new Error(`n8n baseline exited ${code}: ${stderr.slice(-2000)}`)),
		);
	});
	const line = output.split('\n').find((entry) => entry.startsWith('{'));
	if (!line) throw new Error(`n8n baseline printed no result: ${output.slice(-500)}`);
	const { messages, seconds } = JSON.parse(line) as { messages: number; seconds: number };
	log(
		`n8n Email Trigger (IMAP) v2.2: ${messages} messages in ${seconds.toFixed(2)} s = ${(messages / seconds).toFixed(0)} msg/s`,
	);
	return messages / seconds;
}

/**
 * One empty poll as the node does it: a provider on the process's connection pool (the first
 * poll connects and logs in, later ones reuse that connection), STATUS, the connection back.
 */
async function emptyPoll(
	server: DovecotServer,
	mailbox: string,
	cursor: Parameters<ImapProvider['changes']>[1],
	pool: ImapConnectionPool,
	logger?: ImapProviderOptions['logger'],
): Promise<number> {
	const started = performance.now();
	const provider = new ImapProvider(settingsFor(server), { pool, ...(logger ? { logger } : {}) });
	for await (const batch of provider.changes(mailbox, cursor, { since: new Date(0), limit: 100 })) {
		if (batch.messages.length > 0) throw new Error('the empty poll found messages');
	}
	await provider.close();
	return performance.now() - started;
}

async function currentCursor(server: DovecotServer, mailbox: string) {
	const provider = new ImapProvider(settingsFor(server));
	const status = await provider.status(mailbox);
	await provider.close();
	return {
		uidValidity: status.uidValidity,
		lastUid: status.uidNext - 1,
		...(status.highestModseq ? { highestModseq: status.highestModseq } : {}),
	};
}

/**
 * Median empty-poll time per mailbox. The mailboxes take turns poll by poll (each on its own
 * pooled connection), so a change in machine load hits both alike instead of skewing the ratio.
 */
async function emptyPollMedians(server: DovecotServer, mailboxes: string[]): Promise<number[]> {
	const cursors = await Promise.all(mailboxes.map((mailbox) => currentCursor(server, mailbox)));
	const pools = mailboxes.map(() => new ImapConnectionPool());
	try {
		const samples = mailboxes.map((): number[] => []);
		for (let i = -5; i < EMPTY_POLL_SAMPLES; i++) {
			for (const [index, mailbox] of mailboxes.entries()) {
				const ms = await emptyPoll(server, mailbox, cursors[index], pools[index]);
				if (i >= 0) samples[index].push(ms); // the first five are warm-up
			}
		}
		return samples.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]);
	} finally {
		await Promise.all(pools.map((pool) => pool.closeAll()));
	}
}

/** Commands of the first poll after its login (a new connection) and of the next poll (pooled). */
async function emptyPollCommands(
	server: DovecotServer,
	mailbox: string,
): Promise<{ cold: number; pooled: number }> {
	const cursor = await currentCursor(server, mailbox);
	const { lines: commands, logger } = imapCommandLog();
	const pool = new ImapConnectionPool();
	const show = (list: string[]) =>
		list.map((command) => command.split(' ').slice(1, 3).join(' ')).join(' | ');
	try {
		await emptyPoll(server, mailbox, cursor, pool, logger);
		const login = commands.findIndex((command) => /^\S+ (LOGIN|AUTHENTICATE)\b/.test(command));
		const cold = commands.slice(login + 1);
		commands.length = 0;
		await emptyPoll(server, mailbox, cursor, pool);
		const pooled = [...commands];
		log(
			`empty poll on a new connection, commands after login: ${show(cold)} (LOGOUT comes when the pool lets the connection go)`,
		);
		log(`empty poll on the pooled connection, commands: ${show(pooled)}`);
		return { cold: cold.length, pooled: pooled.length };
	} finally {
		await pool.closeAll();
	}
}

async function hugeAttachment(server: DovecotServer): Promise<number> {
	const mailbox = 'Huge';
	const boundary = 'huge';
	const head = Buffer.from(
		[
			'From: a@example.org',
			'To: soc@example.com',
			'Subject: 200 MB attachment',
			'Message-ID: <huge@example.org>',
			'MIME-Version: 1.0',
			`Content-Type: multipart/mixed; boundary="${boundary}"`,
			'',
			`--${boundary}`,
			'Content-Type: text/plain',
			'',
			'see attachment',
			`--${boundary}`,
			'Content-Type: application/pdf; name="big.pdf"',
			'Content-Disposition: attachment; filename="big.pdf"',
			'Content-Transfer-Encoding: base64',
			'',
			'',
		].join('\r\n'),
	);
	const raw = randomBytes(HUGE_ATTACHMENT_MB * 1024 * 1024);
	const body = Buffer.from(raw.toString('base64').replace(/.{76}/g, '$&\r\n'));
	const message = Buffer.concat([head, body, Buffer.from(`\r\n--${boundary}--\r\n`)]);
	await server.seed('alice', mailbox, [message]);
	log(`p3: seeded one message of ${(message.length / 1024 / 1024).toFixed(0)} MB`);

	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-bench-'));
	// What n8n's filesystem binary mode does with prepareBinaryData(stream): pipe it to a file.
	const fileSink: AttachmentSink<{ path: string }> = async (info, content) => {
		const file = path.join(dir, `${info.binaryProperty ?? 'part'}.bin`);
		await pipeline(content, fs.createWriteStream(file));
		return { path: file };
	};
	(global as { gc?: () => void }).gc?.();
	const baseline = process.memoryUsage().heapUsed;
	let peak = baseline;
	const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10);
	const provider = new ImapProvider(settingsFor(server));
	try {
		const result = await pollImap(provider, undefined, {
			mailboxes: [mailbox],
			since: new Date(Date.now() - 86_400_000),
			maxItems: 10,
			policy: { ...DEFAULT_POLICY, maxAttachmentBytes: 300 * 1024 * 1024 },
			sink: fileSink,
			rawSink: fileSink,
			keepRaw: false,
		});
		peak = Math.max(peak, process.memoryUsage().heapUsed);
		const attachment = result.emails[0]?.email.attachments[0];
		if (result.errors.length || !attachment || attachment.size !== raw.length) {
			throw new Error(
				`p3: the attachment did not arrive whole: ${JSON.stringify({ errors: result.errors.map((e) => e.error.message), attachment })}`,
			);
		}
		if (fs.statSync(result.emails[0].attachments[0].stored.path).size !== raw.length)
			throw new Error('p3: file size differs');
	} finally {
		clearInterval(sampler);
		await provider.close();
		fs.rmSync(dir, { recursive: true, force: true });
	}
	const growth = (peak - baseline) / 1024 / 1024;
	log(
		`p3: heap ${(baseline / 1024 / 1024).toFixed(0)} MB -> peak ${(peak / 1024 / 1024).toFixed(0)} MB (+${growth.toFixed(1)} MB)`,
	);
	return growth;
}

/**
 * The README's chart: this run's three rates as bars, written where the README links it, so
 * `npm run bench -- imap-ingest` refreshes the picture with the figures it prints.
 */
function writeIngestChart(ours: number, bound: number, n8n: number | null): void {
	const file = path.join(ROOT, 'docs/images/p1-ingest.svg');
	const times = (rate: number) => `(ours ÷ this = ${(ours / rate).toFixed(2)})`;
	const svg = barChartSvg({
		title: `Ingesting ${MESSAGES.toLocaleString('en')} messages of ~21 KB from Dovecot`,
		unit: 'messages/s',
		bars: [
			{ label: 'Email Intel IMAP Trigger', value: ours, ours: true },
			{
				label: 'Bound: raw imapflow + mailparser',
				value: bound,
				note: times(bound),
			},
			...(n8n === null
				? []
				: [{ label: "n8n's Email Trigger (IMAP)", value: n8n, note: times(n8n) }]),
		],
		caption:
			`npm run bench -- imap-ingest, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
			`Node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; best of 2 runs each`,
	});
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, svg);
	log(`chart written to ${path.relative(ROOT, file)}`);
}

async function main(): Promise<void> {
	const server = await startDovecot();
	try {
		log(`seeding 2 × ${MESSAGES} messages of ~${(benchMessage(0).length / 1024).toFixed(0)} KB`);
		const messages = Array.from({ length: MESSAGES }, (_, i) => benchMessage(i));
		await server.seed('alice', 'Bench', messages);
		await server.seed('alice', 'BenchN8n', messages);

		await warm(server, 'Bench');
		await warm(server, 'BenchN8n');
		// Twice each, alternating, best of two, for every contender alike: all are measured warm
		// (JIT, and our parse thread), and a slow phase of the machine hits one sample of each.
		const boundRates: number[] = [];
		const ourRates: number[] = [];
		const n8nRates: number[] = [];
		let n8nFailed = false;
		for (let round = 0; round < 2; round++) {
			boundRates.push(await bound(server, 'Bench'));
			ourRates.push(await ours(server, 'Bench'));
			if (n8nFailed) continue;
			try {
				const rate = await n8nBaseline(server, 'BenchN8n');
				if (rate === null) n8nFailed = true;
				else n8nRates.push(rate);
			} catch (error) {
				n8nFailed = true;
				log(`n8n baseline failed: ${(error as Error).message}; p1_ingest_vs_n8n = null`);
			}
		}
		const boundRate = Math.max(...boundRates);
		const ourRate = Math.max(...ourRates);
		const n8nRate = n8nFailed || n8nRates.length === 0 ? null : Math.max(...n8nRates);

		log(`seeding p2 mailboxes: 1,000 and ${BIG_MAILBOX.toLocaleString('en')} small messages`);
		const small = (i: number) =>
			`From: a@example.org\r\nSubject: small ${i}\r\nMessage-ID: <s${i}@example.org>\r\n\r\nbody ${i}\r\n`;
		await server.seed(
			'alice',
			'Small',
			Array.from({ length: 1000 }, (_, i) => small(i)),
		);
		for (let done = 0; done < BIG_MAILBOX; done += 20_000) {
			await server.seed(
				'alice',
				'Big',
				Array.from({ length: Math.min(20_000, BIG_MAILBOX - done) }, (_, i) => small(done + i)),
			);
		}
		const [smallMs, bigMs] = await emptyPollMedians(server, ['Small', 'Big']);
		log(
			`empty poll median: 1,000 msgs ${smallMs.toFixed(2)} ms, ${BIG_MAILBOX.toLocaleString('en')} msgs ${bigMs.toFixed(2)} ms`,
		);
		const commands = await emptyPollCommands(server, 'Big');

		const heapGrowth = await hugeAttachment(server);

		const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
		writeIngestChart(ourRate, boundRate, n8nRate);
		process.stdout.write(
			`${JSON.stringify({
				bench: 'imap-ingest',
				node: process.version,
				p1_ingest_vs_bound: round(ourRate / boundRate),
				p1_ingest_vs_n8n: n8nRate === null ? null : round(ourRate / n8nRate),
				p2_empty_poll_ratio: round(bigMs / smallMs),
				p2_empty_poll_commands: commands.pooled,
				p2_empty_poll_commands_new_connection: commands.cold,
				p3_heap_growth_mb: round(heapGrowth, 1),
				ours_msgs_per_s: Math.round(ourRate),
				bound_msgs_per_s: Math.round(boundRate),
				n8n_msgs_per_s: n8nRate === null ? null : Math.round(n8nRate),
			})}\n`,
		);
	} finally {
		await server.stop();
	}
}

main().then(
	() => process.exit(0),
	(error) => {
		log(String((error as Error).stack ?? error));
		process.exit(1);
	},
);
