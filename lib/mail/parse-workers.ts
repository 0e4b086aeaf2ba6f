import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { MailIntelError, type MailIntelErrorOptions } from '../errors';
import { AttachmentPipeline, bufferSink, type AttachmentSink } from './attachments';
import {
	parseEmail,
	type BufferedAttachment,
	type EmailIdentity,
	type ParsedEmail,
	type ParseOptions,
} from './parse';
import type { AttachmentPolicy } from './policy';
import type { AttachmentInfo, NormalizedEmail } from './types';

/**
 * MIME parsing on more than one core. Bulk ingest is bound by mailparser's CPU time (the IMAP
 * server and the socket cost a tenth of it), so messages already in memory are parsed on
 * worker threads while the calling thread keeps reading the FETCH response and parses what
 * the workers have no room for. The result is exactly parseEmail's: same function, same
 * policy; kept attachments come back as bytes and go through the caller's sink on the
 * calling thread (n8n's binary helpers live there).
 *
 * Nothing is lost when a thread fails: its jobs are parsed again on the calling thread.
 * Threads start on first use, never keep the process alive, and stop after `idleMs`.
 */
export interface ParseWorkersOptions {
	/** Worker threads; default: see defaultThreads(). 0 = parse on the calling thread only. */
	threads?: number;
	/** Stop idle threads after this long (they hold a V8 heap each). */
	idleMs?: number;
	/** The compiled parse-worker.js; default: next to this file (absent under ts-jest). */
	script?: string;
	/** Jobs queued per thread before the caller parses the next message itself. */
	depthPerThread?: number;
}

export interface ParseJob {
	id: number;
	source: Uint8Array;
	identity: EmailIdentity;
	policy: AttachmentPolicy;
	recordTransientFailures?: boolean;
}

export interface WorkerAttachment {
	binaryProperty: string;
	info: AttachmentInfo;
	data: Uint8Array;
}

/** A MailIntelError as it crosses the thread boundary (an Error's class does not). */
export type WorkerFailure = Pick<
	MailIntelErrorOptions,
	'source' | 'status' | 'code' | 'retryable' | 'retryAfterMs' | 'hint'
>;

export type ParseJobResult =
	| { id: number; email: NormalizedEmail; attachments: WorkerAttachment[] }
	/** `failure`: parseEmail rejected with a MailIntelError (a transient failure): rethrown here. */
	| { id: number; error: string; failure?: WorkerFailure };

/**
 * Jobs queued per thread before the caller parses a message itself: deep enough that a
 * thread always has the next batch while the caller is busy with its own share.
 */
const DEPTH_PER_THREAD = 16;
/**
 * Batches a thread may have posted and unanswered: one it works on and one waiting. Jobs that
 * come meanwhile gather and leave together when a batch returns. Each postMessage wakes the
 * thread; one per message cost ~19% of the main thread in a 5,000-message Gmail sync, where
 * downloads finish one by one and every job went alone.
 */
const MAX_POSTED = 2;
/** After this many thread failures the pool parses in-process for good (e.g. the script cannot load). */
const MAX_FAILURES = 3;

interface Thread {
	worker: Worker;
	stopping: boolean;
	inFlight: Map<number, (result: ParseJobResult) => void>;
	batch: ParseJob[];
	flushScheduled: boolean;
	/** Batches posted to the thread and not answered yet. */
	posted: number;
}

export class ParseWorkers {
	private readonly threads: number;
	private readonly idleMs: number;
	private readonly script: string;
	private readonly depth: number;
	private readonly live: Thread[] = [];
	private nextId = 1;
	private failures = 0;
	private scriptExists?: boolean;
	/** Messages parsed on a thread and on the calling thread (what the tests and bench check). */
	readonly parsed = { onThreads: 0, onCaller: 0 };
	private idleTimer?: NodeJS.Timeout;

	constructor(options: ParseWorkersOptions = {}) {
		this.threads = options.threads ?? defaultThreads();
		this.idleMs = options.idleMs ?? 60_000;
		this.script = options.script ?? path.join(__dirname, 'parse-worker.js');
		this.depth = options.depthPerThread ?? DEPTH_PER_THREAD;
	}

	/** How many parses may usefully be in flight at once on the threads. */
	get capacity(): number {
		return this.enabled ? this.threads * this.depth : 0;
	}

	/** True when parse() may use threads (a compiled worker script exists and threads > 0). */
	get enabled(): boolean {
		// Checked per message: the file test is done once.
		this.scriptExists ??= existsSync(this.script);
		return this.threads > 0 && this.failures < MAX_FAILURES && this.scriptExists;
	}

	/** parseEmail on a worker thread when one has room, on the calling thread otherwise. */
	async parse<T = BufferedAttachment>(
		source: Buffer,
		identity: EmailIdentity,
		options: ParseOptions<T>,
	): Promise<ParsedEmail<T>> {
		// A filename filter is a function: it cannot cross to a thread.
		const thread = options.policy.filenameFilter ? undefined : this.threadWithRoom();
		if (!thread) return this.parseHere(source, identity, options);
		const result = await this.submit(thread, source, identity, options);
		// The same failure classes as on this thread: a transient failure is a retryable error.
		if ('failure' in result && result.failure)
			throw new MailIntelError(result.error, result.failure);
		if ('error' in result) return this.parseHere(source, identity, options);
		this.parsed.onThreads++;
		// The sink parseEmail would have used, fed the bytes the thread decoded, through the
		// same pipeline (a sink failure is transient here too).
		const pipeline = new AttachmentPipeline<T>({
			policy: options.policy,
			sink: (options.sink ?? bufferSink) as AttachmentSink<T>,
			recordTransientFailures: options.recordTransientFailures,
		});
		for (const kept of result.attachments) {
			const data = Buffer.from(kept.data.buffer, kept.data.byteOffset, kept.data.byteLength);
			await pipeline.storeDecoded(kept.binaryProperty, kept.info, data);
		}
		const keepSource = options.keepRaw || result.email.parseError !== undefined;
		return {
			email: result.email,
			attachments: pipeline.kept,
			raw: keepSource ? source : undefined,
		};
	}

	private parseHere<T>(
		source: Buffer,
		identity: EmailIdentity,
		options: ParseOptions<T>,
	): Promise<ParsedEmail<T>> {
		this.parsed.onCaller++;
		return parseEmail(source, identity, options);
	}

	async close(): Promise<void> {
		clearTimeout(this.idleTimer);
		const threads = this.live.splice(0);
		for (const thread of threads) thread.stopping = true;
		await Promise.all(threads.map((thread) => thread.worker.terminate()));
	}

	private threadWithRoom(): Thread | undefined {
		if (!this.enabled) return undefined;
		let best: Thread | undefined;
		for (const thread of this.live) {
			const load = thread.inFlight.size;
			if (load < this.depth && (!best || load < best.inFlight.size)) best = thread;
		}
		if (best && best.inFlight.size === 0) return best;
		if (this.live.length < this.threads) return this.start();
		return best;
	}

	private start(): Thread {
		const worker = new Worker(this.script);
		const thread: Thread = {
			worker,
			stopping: false,
			inFlight: new Map(),
			batch: [],
			flushScheduled: false,
			posted: 0,
		};
		const fail = (reason: string) => {
			const index = this.live.indexOf(thread);
			if (index >= 0) this.live.splice(index, 1);
			if (!thread.stopping) this.failures++;
			for (const [id, settle] of thread.inFlight) settle({ id, error: reason });
			thread.inFlight.clear();
			thread.batch.length = 0;
		};
		worker.on('message', (results: ParseJobResult[]) => {
			thread.posted = Math.max(0, thread.posted - 1);
			// What gathered while the thread was busy goes now, in one message.
			this.flush(thread);
			for (const result of results) {
				const settle = thread.inFlight.get(result.id);
				thread.inFlight.delete(result.id);
				settle?.(result);
			}
			if (thread.inFlight.size === 0) worker.unref();
			this.armIdleTimer();
		});
		worker.on('error', (error) => fail(error.message));
		worker.on('exit', (code) => fail(`parse thread exited with code ${code}`));
		worker.unref();
		this.live.push(thread);
		return thread;
	}

	private submit(
		thread: Thread,
		source: Buffer,
		identity: EmailIdentity,
		options: ParseOptions<unknown>,
	): Promise<ParseJobResult> {
		const id = this.nextId++;
		// A copy the thread can own: imapflow's Buffer may be a view into a larger allocation.
		// allocUnsafeSlow: an ArrayBuffer of its own, not zeroed first (every byte is copied in).
		const copy = Buffer.allocUnsafeSlow(source.byteLength);
		source.copy(copy);
		const job: ParseJob = {
			id,
			source: copy,
			identity,
			policy: options.policy,
			...(options.recordTransientFailures ? { recordTransientFailures: true } : {}),
		};
		return new Promise((resolve) => {
			thread.inFlight.set(id, resolve);
			thread.worker.ref();
			thread.batch.push(job);
			// Messages of one FETCH response arrive in a burst: send them as one batch.
			if (!thread.flushScheduled && thread.posted < MAX_POSTED) {
				thread.flushScheduled = true;
				setImmediate(() => {
					thread.flushScheduled = false;
					this.flush(thread);
				});
			}
		});
	}

	/** Posts the jobs gathered for `thread`, unless it has MAX_POSTED batches in hand already. */
	private flush(thread: Thread): void {
		if (thread.batch.length === 0 || thread.posted >= MAX_POSTED) return;
		const batch = thread.batch.splice(0);
		try {
			thread.worker.postMessage(
				batch,
				batch.map((queued) => queued.source.buffer as ArrayBuffer),
			);
			thread.posted++;
		} catch (error) {
			// Each job is then parsed again on the calling thread by parse().
			for (const queued of batch) {
				const settle = thread.inFlight.get(queued.id);
				thread.inFlight.delete(queued.id);
				settle?.({ id: queued.id, error: (error as Error).message });
			}
		}
	}

	private armIdleTimer(): void {
		clearTimeout(this.idleTimer);
		this.idleTimer = setTimeout(() => {
			if (this.live.every((thread) => thread.inFlight.size === 0)) void this.close();
		}, this.idleMs);
		this.idleTimer.unref();
	}
}

/**
 * One per core beyond the first, at most 3; `EMAIL_INTEL_PARSE_THREADS` (0 = parse on the
 * calling thread only) lets an n8n admin decide instead.
 */
function defaultThreads(): number {
	const configured = process.env.EMAIL_INTEL_PARSE_THREADS?.trim();
	if (configured && /^\d+$/.test(configured)) return Number(configured);
	return Math.max(0, Math.min(3, (os.availableParallelism?.() ?? os.cpus().length) - 1));
}

let shared: ParseWorkers | undefined;

/** The process-wide parse threads the IMAP trigger uses. */
export function sharedParseWorkers(): ParseWorkers {
	return (shared ??= new ParseWorkers());
}
