/**
 * The Gmail rewrite streams: removing a 100 MB attachment costs a bounded amount of memory, not
 * the size of the message (nor of its base64url text in Gmail's JSON, a third larger). Prints
 * one JSON line.
 *
 * p9_gmail_rewrite_heap_mb — the largest growth of heapUsed + arrayBuffers over the level before
 *   the run, sampled every 10 ms while a message with text, HTML and a 100 MB attachment is read
 *   (`format=raw`, parsed as it streams), downloaded again and rewritten without the attachment
 *   into a streamed multipart `messages.insert`, and the original trashed. The Gmail fake runs
 *   in a worker thread, whose heap and Buffers are its own: what is measured is the remediation's
 *   memory alone. Goal < 64, as for IMAP's p9_rewrite_heap_mb.
 * p9_gmail_rewrite_heapused_mb — the same for heapUsed alone.
 * p9_gmail_rewrite_source_mb — the size of the original message.
 * p9_gmail_rewrite_output_kb — the size of the inserted rewrite.
 * p9_gmail_rewrite_seconds — wall time of that remediation (informational: the machine is shared).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { GmailClient, GmailProvider, gmailTokens } from '../../lib/providers/gmail';
import { GmailRemediator } from '../../lib/providers/gmail/remediate';
import { measureRewrite } from './rewrite-memory';

const MB = 1024 * 1024;
/** 100 MB; REMEDIATION_BENCH_MB sets another size (a quick check of the benchmark itself). */
const ATTACHMENT_BYTES = Number(process.env.REMEDIATION_BENCH_MB ?? 100) * MB;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The Gmail fake with the large message, in a worker thread (compiled JS next to this file). */
const FAKE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { randomBytes } = require('node:crypto');
const { startFakeGmail } = require(workerData.fake);
const f = require(workerData.factory);
(async () => {
	const fake = await startFakeGmail();
	const attachment = f.file({
		contentType: 'application/octet-stream',
		data: Buffer.alloc(0),
		disposition: 'attachment; filename="payload.bin"',
	});
	attachment.body = f.base64Lines(randomBytes(workerData.bytes));
	const raw = f.message(
		{
			From: 'mallory@evil.example',
			To: 'soc@example.com',
			Subject: 'Large payload',
			Date: 'Tue, 01 Dec 2026 09:30:00 +0000',
			'Message-ID': '<bench-gmail-remediation@evil.example>',
		},
		f.multipart('mixed', 'bench-outer', [
			f.multipart('alternative', 'bench-alt', [
				f.text('Open the file.'),
				f.html('<html><body><p>Open the file.</p></body></html>'),
			]),
			attachment,
		]),
	);
	const stored = fake.addMessage({ raw, labelIds: ['INBOX'] });
	parentPort.on('message', async (command) => {
		if (command === 'inspect')
			parentPort.postMessage(
				fake.allMessages().map((m) => ({ id: m.id, size: m.raw.length, labels: m.labelIds })),
			);
		if (command === 'close') {
			await fake.close();
			parentPort.close();
		}
	});
	parentPort.postMessage({
		apiBaseUrl: fake.apiBaseUrl,
		tokenJson: fake.tokenJson(),
		id: stored.id,
		size: raw.length,
	});
})();
`;

interface Stored {
	id: string;
	size: number;
	labels: string[];
}

void (async () => {
	const worker = new Worker(FAKE_WORKER, {
		eval: true,
		workerData: {
			fake: path.join(__dirname, '../fakes/gmail/index.js'),
			factory: path.join(__dirname, '../fixtures/mime-factory.js'),
			bytes: ATTACHMENT_BYTES,
		},
	});
	const next = <T>() =>
		new Promise<T>((resolve, reject) => {
			worker.once('message', resolve);
			worker.once('error', reject);
		});
	try {
		const seeded = await next<{
			apiBaseUrl: string;
			tokenJson: string;
			id: string;
			size: number;
		}>();
		const config = {
			auth: { method: 'tokenJson' as const, googleTokenJson: seeded.tokenJson },
			apiBaseUrl: seeded.apiBaseUrl,
		};
		const provider = new GmailProvider({
			client: new GmailClient({
				apiBaseUrl: seeded.apiBaseUrl,
				user: 'me',
				tokens: gmailTokens(config),
			}),
			account: 'me',
		});
		const remediator = new GmailRemediator(provider);
		const locator = `gmail://me/messages/${seeded.id}`;
		const { result, seconds, growth, heapUsedGrowth } = await measureRewrite(
			remediator,
			locator,
			ATTACHMENT_BYTES,
		);
		worker.postMessage('inspect');
		const stored = await next<Stored[]>();
		const live = stored.filter((message) => !message.labels.includes('TRASH'));
		if (live.length !== 1 || live[0].id !== result.after.id)
			throw new Error(`expected the rewrite alone outside the trash: ${JSON.stringify(stored)}`);
		await remediator.close();
		const round1 = (value: number) => Math.round(value * 10) / 10;
		const figures = {
			p9_gmail_rewrite_heap_mb: round1(growth / MB),
			p9_gmail_rewrite_heapused_mb: round1(heapUsedGrowth / MB),
			p9_gmail_rewrite_source_mb: round1(seeded.size / MB),
			p9_gmail_rewrite_output_kb: round1(live[0].size / 1024),
			p9_gmail_rewrite_seconds: round1(seconds),
		};
		log(
			`rewrote a ${figures.p9_gmail_rewrite_source_mb} MB Gmail message in ${figures.p9_gmail_rewrite_seconds} s; memory grew by at most ${figures.p9_gmail_rewrite_heap_mb} MB`,
		);
		console.log(JSON.stringify(figures));
	} finally {
		worker.postMessage('close');
		await new Promise((resolve) => worker.once('exit', resolve));
	}
})().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
