import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import type { Readable } from 'node:stream';

import { MailIntelError } from '../../../lib/errors';
import {
	bufferSink,
	parseEmail,
	type AttachmentSink,
	type BufferedAttachment,
	type EmailIdentity,
} from '../../../lib/mail/parse';
import type { AttachmentInfo } from '../../../lib/mail/types';
import { ParseWorkers } from '../../../lib/mail/parse-workers';
import { DEFAULT_POLICY, type AttachmentPolicy } from '../../../lib/mail/policy';
import { FIXTURE_DIR } from '../../fixtures/generate';

/**
 * Parsing on worker threads must be invisible: the same item, byte for byte, as parseEmail on
 * the calling thread, for every message of the MIME corpus; and a thread that dies must cost
 * nothing but time.
 */
const THREAD_SCRIPT = path.join(__dirname, '../../helpers/parse-worker-ts.js');
const CRASHING_SCRIPT = path.join(__dirname, '../../helpers/crashing-parse-worker.js');
const everything: AttachmentPolicy = { ...DEFAULT_POLICY, mimeTypes: ['*'], includeInline: true };

const fixtures = fs
	.readdirSync(FIXTURE_DIR)
	.filter((name) => name.endsWith('.eml'))
	.sort()
	.map((name) => ({ name, source: fs.readFileSync(path.join(FIXTURE_DIR, name)) }));

function identityOf(name: string): EmailIdentity {
	return {
		provider: 'imap',
		account: 'alice',
		mailbox: 'INBOX',
		id: `1:${name}`,
		locator: `imap://alice@mail.example.com/INBOX;UIDVALIDITY=1/;UID=1`,
		uid: 1,
		uidValidity: '1',
		receivedAt: '2024-04-01T10:00:00Z',
	};
}

test('the corpus parses to exactly the in-process result on a thread', async () => {
	const workers = new ParseWorkers({ threads: 1, script: THREAD_SCRIPT });
	try {
		expect(fixtures.length).toBeGreaterThanOrEqual(16);
		const onThreads = await Promise.all(
			fixtures.map(({ name, source }) =>
				workers.parse(source, identityOf(name), { policy: everything, sink: bufferSink }),
			),
		);
		for (const [index, { name, source }] of fixtures.entries()) {
			const here = await parseEmail(source, identityOf(name), {
				policy: everything,
				sink: bufferSink,
			});
			expect({ name, ...onThreads[index] }).toEqual({ name, ...here });
		}
		// Sixteen at once: the thread takes its share, the caller parses what does not fit.
		expect(workers.parsed.onThreads).toBeGreaterThan(0);
		expect(workers.parsed.onThreads + workers.parsed.onCaller).toBe(fixtures.length);
	} finally {
		await workers.close();
	}
});

test('keepRaw and parse errors return the source, as parseEmail does', async () => {
	const workers = new ParseWorkers({ threads: 1, script: THREAD_SCRIPT });
	try {
		const garbage = fixtures.find((f) => f.name === 'garbage-one-line.eml')!;
		const broken = await workers.parse(garbage.source, identityOf(garbage.name), {
			policy: DEFAULT_POLICY,
		});
		expect(broken.email.parseError).toMatch(/not an RFC 822 message/);
		expect(broken.raw?.equals(garbage.source)).toBe(true);
		const text = fixtures.find((f) => f.name === 'text-only.eml')!;
		const kept = await workers.parse(text.source, identityOf(text.name), {
			policy: DEFAULT_POLICY,
			keepRaw: true,
		});
		expect(kept.raw?.equals(text.source)).toBe(true);
		expect(workers.parsed.onThreads).toBe(2);
	} finally {
		await workers.close();
	}
});

test('a thread that dies loses no message: its jobs are parsed on the calling thread', async () => {
	const workers = new ParseWorkers({ threads: 1, script: CRASHING_SCRIPT });
	try {
		for (let attempt = 0; attempt < 4; attempt++) {
			const results = await Promise.all(
				fixtures.map(({ name, source }) =>
					workers.parse(source, identityOf(name), { policy: everything }),
				),
			);
			expect(results.map((r) => r.email.id)).toEqual(fixtures.map((f) => `1:${f.name}`));
		}
		expect(workers.parsed.onThreads).toBe(0);
		// After three deaths the pool stops trying threads.
		expect(workers.enabled).toBe(false);
	} finally {
		await workers.close();
	}
});

test('a transient failure on a thread arrives as a retryable MailIntelError (not reparsed)', async () => {
	const script = path.join(__dirname, '../../fixtures/transient-parse-worker.js');
	const workers = new ParseWorkers({ threads: 1, script });
	try {
		const { name, source } = fixtures.find((f) => f.name === 'text-only.eml')!;
		const parsing = workers.parse(source, identityOf(name), { policy: DEFAULT_POLICY });
		await expect(parsing).rejects.toBeInstanceOf(MailIntelError);
		await expect(parsing).rejects.toMatchObject({ code: 'SOURCE_INTERRUPTED', retryable: true });
		expect(workers.parsed).toEqual({ onThreads: 0, onCaller: 0 });
	} finally {
		await workers.close();
	}
});

test('a sink that fails on the calling thread rejects retryable, or is recorded when asked', async () => {
	const workers = new ParseWorkers({ threads: 1, script: THREAD_SCRIPT });
	const failing: AttachmentSink<BufferedAttachment> = Object.assign(
		(info: AttachmentInfo, content: Readable) => bufferSink(info, content),
		{
			fromBuffer: async (info: AttachmentInfo, data: Buffer) => {
				if (info.filename === 'iocs.csv') throw new Error('disk full');
				return bufferSink.fromBuffer!(info, data);
			},
		},
	);
	try {
		const { name, source } = fixtures.find((f) => f.name === 'attachments-mixed-types.eml')!;
		await expect(
			workers.parse(source, identityOf(name), { policy: everything, sink: failing }),
		).rejects.toMatchObject({ code: 'SINK_WRITE', retryable: true });
		const recorded = await workers.parse(source, identityOf(name), {
			policy: everything,
			sink: failing,
			recordTransientFailures: true,
		});
		const csv = recorded.email.attachments.find((a) => a.filename === 'iocs.csv');
		expect(csv).toMatchObject({ skipped: 'error', error: { code: 'RETRIES_EXHAUSTED' } });
		expect(csv?.binaryProperty).toBeUndefined();
		expect(recorded.attachments.map((a) => a.info.filename)).not.toContain('iocs.csv');
		expect(workers.parsed.onThreads).toBe(2);
	} finally {
		await workers.close();
	}
});

test('a filename filter (a function) keeps parsing on the calling thread', async () => {
	const workers = new ParseWorkers({ threads: 1, script: THREAD_SCRIPT });
	try {
		const { name, source } = fixtures.find((f) => f.name === 'attachments-mixed-types.eml')!;
		const parsed = await workers.parse(source, identityOf(name), {
			policy: { ...everything, filenameFilter: (file) => file.endsWith('.pdf') },
		});
		expect(parsed.attachments.map((a) => a.info.filename)).toEqual(
			parsed.email.attachments.filter((a) => a.filename.endsWith('.pdf')).map((a) => a.filename),
		);
		expect(workers.parsed).toEqual({ onThreads: 0, onCaller: 1 });
	} finally {
		await workers.close();
	}
});

test('an idle thread never keeps the process from exiting', async () => {
	// The thread would stop after an hour idle: if it (or its timer) held the process open, the
	// child would still be running when execFile's 5-minute hang guard kills it, and the test
	// fails on the kill, not on how long a busy machine took to start Node.
	const script = `
		const { ParseWorkers } = require(${JSON.stringify(require.resolve('../../../lib/mail/parse-workers'))});
		const workers = new ParseWorkers({ threads: 1, idleMs: 3_600_000, script: ${JSON.stringify(THREAD_SCRIPT)} });
		const source = require('node:fs').readFileSync(${JSON.stringify(path.join(FIXTURE_DIR, 'text-only.eml'))});
		const identity = { provider: 'imap', account: 'a', mailbox: 'INBOX', id: '1', locator: 'x' };
		workers.parse(source, identity, { policy: { mimeTypes: [], includeInline: false, maxAttachmentBytes: 1e6, maxTextChars: 1e6 } })
			.then((parsed) => console.log(parsed.email.subject + ' / on threads: ' + workers.parsed.onThreads));
	`;
	const { stdout } = await promisify(execFile)(
		process.execPath,
		['-r', require.resolve('../../helpers/register-ts'), '-e', script],
		{ timeout: 300_000, killSignal: 'SIGKILL' },
	);
	expect(stdout.trim()).toMatch(/ \/ on threads: 1$/);
}, 330_000);

test('jobs that arrive one by one while the thread has two batches in hand leave together', async () => {
	const { Worker } = await import('node:worker_threads');
	const posted: number[] = [];
	const original = Worker.prototype.postMessage;
	const spy = jest.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (
		this: InstanceType<typeof Worker>,
		jobs: unknown,
		transfer?: readonly unknown[],
	) {
		posted.push((jobs as unknown[]).length);
		return original.call(this, jobs, transfer as never);
	});
	const workers = new ParseWorkers({ threads: 1, script: THREAD_SCRIPT });
	try {
		const source = fixtures[0].source;
		const parses: Array<Promise<unknown>> = [];
		// Twelve messages, each in its own turn of the event loop (downloads finish one by one).
		for (let i = 0; i < 12; i++) {
			parses.push(workers.parse(source, identityOf(`${i}`), { policy: everything }));
			await new Promise((resolve) => setImmediate(resolve));
		}
		await Promise.all(parses);
		expect(workers.parsed.onThreads).toBe(12);
		expect(posted.reduce((sum, jobs) => sum + jobs, 0)).toBe(12);
		// One message per job would be 12; at most two batches are in the thread's hands at once.
		expect(posted.length).toBeLessThan(12);
		expect(Math.max(...posted)).toBeGreaterThan(1);
	} finally {
		spy.mockRestore();
		await workers.close();
	}
});
