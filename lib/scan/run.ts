import { errorMessage, isMailIntelError } from '../errors';
import { streamInto } from '../http/send';
import { Deadlines } from '../util/deadlines';
import { mapLimited } from '../util/limit';
import { monotonicNow } from '../util/monotonic';
import { retryAfter, type RetryOptions } from '../util/retry';
import { sha256Of } from './hash';
import { MeteredStream } from './metered';
import type { EngineVerdict, FileVerdict, ScanEngine, ScanInput, ScannedFile } from './types';

export const DEFAULT_SCAN_CONCURRENCY = 4;
/** Per file, across its retries: a 100 MB archive on a busy scanner takes tens of seconds. */
export const DEFAULT_SCAN_TIMEOUT_MS = 300_000;
/**
 * Retries of one file: a scanner answering "initializing" or a 5xx is usually back within
 * seconds (DSXA loads its model at start). lib/util/retry's policy: exponential backoff with
 * jitter, Retry-After when the engine passed one on.
 */
export const SCAN_RETRY: RetryOptions = { retries: 4, baseDelayMs: 1_000, maxDelayMs: 15_000 };

/** The code engines throw for a scanner that is still starting (DSXA "Not Scanned: initializing"). */
export const SCANNER_INITIALIZING = 'SCANNER_INITIALIZING';

export interface ScanRunOptions {
	/** Files in flight at once (default 4). */
	concurrency?: number;
	/** Bytes; a larger file is `NotScanned` (reason `size`) and never sent. Undefined: no cap. */
	maxSizeBytes?: number;
	/** Ask the engine by SHA-256 first (engine.byHash); upload only when the hash is unknown. */
	hashFirst?: boolean;
	/** Per file, including its retries. */
	timeoutMs?: number;
	retry?: Partial<RetryOptions>;
	signal?: AbortSignal;
	/** Monotonic ms, replaceable in tests. */
	now?: () => number;
}

/**
 * The runner every engine uses: each file through the engine with a concurrency limit, a size
 * cap checked before (declared size) and while (bytes that flow) sending, optional hash-first,
 * retries of what the engine calls retryable, a per-file timeout. Answers one FileVerdict per
 * input, in input order; a file that fails after its retries is `Error` with the reason, never
 * dropped. Only a configuration failure (a rejected token, an untrusted certificate: the same
 * for every file) is thrown, and stops the files still waiting.
 */
export async function scanFiles(
	engine: ScanEngine,
	inputs: readonly ScanInput[],
	options: ScanRunOptions = {},
): Promise<FileVerdict[]> {
	const stop = new AbortController();
	const run = new FileSignals(stop);
	const onCallerAbort = () => stop.abort(options.signal?.reason);
	if (options.signal?.aborted) onCallerAbort();
	else options.signal?.addEventListener('abort', onCallerAbort, { once: true });
	// Built once per run, not per file: each file adds only its own signal.
	const retry: RetryOptions = { ...SCAN_RETRY, ...options.retry };
	try {
		return await mapLimited(inputs, options.concurrency ?? DEFAULT_SCAN_CONCURRENCY, (input) =>
			scanOne(engine, input, options, retry, run),
		);
	} finally {
		options.signal?.removeEventListener('abort', onCallerAbort);
		run.close();
	}
}

/**
 * The abort signal of each file in flight, aborted by the file's own timeout or by the run's
 * stop (the caller's signal, a configuration failure), and the per-file timeouts on one timer.
 * The run listens once for all its files: `AbortSignal.any` per file cost ~35 µs and weak
 * references for the GC per file (a CPU profile of 2,000 small uploads). A controller whose file
 * ended without an abort is handed to the next file: creating one (its AbortSignal, an
 * EventTarget) costs ~5 µs on Node 20, and every listener a file adds to its signal (the
 * transport's, a retry's sleep) is removed when that file's work ends.
 */
class FileSignals {
	private readonly active = new Set<AbortController>();
	private readonly spare: AbortController[] = [];
	readonly deadlines = new Deadlines();
	private readonly onStop = () => {
		for (const file of this.active) file.abort(this.stop.reason);
	};

	constructor(private readonly controller: AbortController) {
		this.stop.addEventListener('abort', this.onStop, { once: true });
	}

	/** The run's own signal: aborted by the caller's signal or by a configuration failure. */
	private get stop(): AbortSignal {
		return this.controller.signal;
	}

	get stopped(): boolean {
		return this.stop.aborted;
	}

	get stopReason(): unknown {
		return this.stop.reason;
	}

	/** Stops the run: a failure that is the same for every file; the files still waiting never start. */
	fail(error: unknown): void {
		this.controller.abort(error);
	}

	/** A controller for one file; aborted at once when the run has stopped already. */
	open(): AbortController {
		const file = this.spare.pop() ?? new AbortController();
		if (this.stop.aborted) file.abort(this.stop.reason);
		else this.active.add(file);
		return file;
	}

	release(file: AbortController): void {
		this.active.delete(file);
		if (!file.signal.aborted) this.spare.push(file);
	}

	close(): void {
		this.stop.removeEventListener('abort', this.onStop);
	}
}

/**
 * One file, start to verdict. The first attempt is called directly and the retry machinery
 * (lib/util/retry's policy) is built only after a failure: the runner is the path every file of
 * a scan takes, and its frames and closures were part of what a small upload cost beyond a bare
 * client (docs/performance.md, round 17).
 */
async function scanOne(
	engine: ScanEngine,
	input: ScanInput,
	options: ScanRunOptions,
	retry: RetryOptions,
	run: FileSignals,
): Promise<FileVerdict> {
	if (run.stopped) throw run.stopReason;
	const now = options.now ?? monotonicNow;
	const started = now();
	// The caller's file record is the verdict's own while nothing about it changes here: a copy
	// only when its hash is still to be computed (hash-first or the meter fills it in). Every
	// verdict is kept until the run ends, and the copy was a sixth of what each file left alive.
	const file: ScannedFile = input.file.sha256 === undefined ? { ...input.file } : input.file;
	const max = options.maxSizeBytes;
	if (max !== undefined && file.size > max)
		return fileVerdict(file, { verdict: 'NotScanned', reason: 'size' }, engine, now() - started);

	const timeoutMs = options.timeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS;
	const scope = run.open();
	const scan = new FileScan(engine, input, file, max, options.hashFirst === true, scope.signal);
	const deadline = run.deadlines.add(timeoutMs, () => {
		scan.timedOut = true;
		scope.abort(new Error(`no verdict within ${timeoutMs} ms`));
	});
	let result: EngineVerdict;
	try {
		try {
			result = await scan.attempt();
		} catch (first) {
			// The retry's closure and options are built only for a file that needs them.
			result = await retryAfter(first, () => scan.attempt(), { ...retry, signal: scope.signal });
		}
	} catch (error) {
		const outcome = failedVerdict(error, scan, timeoutMs);
		if (!outcome) {
			run.fail(error);
			throw error;
		}
		result = outcome;
	} finally {
		run.deadlines.delete(deadline);
		run.release(scope);
	}
	return fileVerdict(file, result, engine, now() - started);
}

/** One file's attempts: each opens the bytes again (a streamed body is gone once sent). */
class FileScan {
	/** Set once the bytes go through a meter (a size cap, or a hash to compute). */
	meter: MeteredStream | undefined;
	timedOut = false;

	constructor(
		private readonly engine: ScanEngine,
		private readonly input: ScanInput,
		private readonly file: ScannedFile,
		private readonly max: number | undefined,
		private readonly hashFirst: boolean,
		readonly signal: AbortSignal,
	) {}

	/**
	 * One attempt. Not async itself: the common case (the item carries its hash, no size cap, no
	 * hash-first) hands the engine's promise back as it is, one async frame less per file.
	 */
	attempt(): Promise<EngineVerdict> {
		const { engine, input, file, max, signal } = this;
		// A hash the item already carries (every trigger of the pack computes it while the
		// attachment is stored) is not computed again; Scan File of a bare binary hashes.
		// Without a hash to compute or a cap to enforce the meter has nothing to do, and the
		// bytes go to the engine as they are opened (one stream hop less per file).
		if (!(this.hashFirst && engine.byHash) && file.sha256 !== undefined && max === undefined)
			return engine.scan(engineInput(input, file, input.open, signal));
		return this.attemptHashedOrMetered();
	}

	private async attemptHashedOrMetered(): Promise<EngineVerdict> {
		const { engine, input, file, max, signal } = this;
		if (this.hashFirst && engine.byHash) {
			file.sha256 ??= await sha256Of(input, signal);
			const known = await engine.byHash(file.sha256, file);
			if (known) return { ...known, reason: known.reason ?? 'hash' };
		}
		if (file.sha256 !== undefined && max === undefined)
			return await engine.scan(engineInput(input, file, input.open, signal));
		const metered = new MeteredStream(max, { hash: file.sha256 === undefined });
		this.meter = metered;
		const source = await input.open();
		streamInto(source, metered);
		const answer = await engine.scan(engineInput(input, file, async () => metered, signal));
		if (metered.sha256) {
			file.sha256 = metered.sha256;
			file.size = metered.size;
		}
		return answer;
	}
}

/**
 * What the engine gets for one attempt: the caller's input with this run's file record, bytes and
 * signal. Written out rather than `{ ...input, file, signal }`: on Node 20 an object whose literal
 * starts with a spread gets a map of its own in optimized code, and every key then added to it
 * (`signal` here) builds a new hidden class per call. That was two new maps per upload, each met
 * by every inline cache downstream as a shape never seen before (docs/performance.md, round 19).
 * The type lists every field of ScanInput, so a new one cannot be left out silently.
 */
function engineInput(
	input: ScanInput,
	file: ScannedFile,
	open: ScanInput['open'],
	signal: AbortSignal,
): ScanInput {
	const forEngine: { [K in keyof Required<ScanInput>]: ScanInput[K] } = {
		file,
		open,
		metadata: input.metadata,
		archivePassword: input.archivePassword,
		signal,
	};
	return forEngine;
}

/**
 * The verdict as the caller gets it. An engine's usual answer (a scan id and a reason, no threat)
 * is written as one literal, in the order the spread below gives: its fields then live in the
 * object itself, where the spread grows a separate property array per verdict. Every verdict
 * is kept until the run ends, so each holds no more than it must (docs/performance.md, round 19;
 * round 20 found the kept verdicts are not what sets off V8's full collections in the benchmark).
 */
function fileVerdict(
	file: ScannedFile,
	result: EngineVerdict,
	engine: ScanEngine,
	elapsedMs: number,
): FileVerdict {
	const durationMs = Math.round(elapsedMs);
	const { verdict, threatType, scanId, reason } = result;
	if (threatType === undefined && scanId !== undefined && reason !== undefined)
		return { attachment: file, verdict, scanId, reason, engine: engine.name, durationMs };
	return { attachment: file, ...result, engine: engine.name, durationMs };
}

/**
 * What a file that failed after its retries is recorded as, or undefined when the failure ends
 * the run (the caller aborted, or a configuration failure that is the same for every file).
 */
function failedVerdict(
	error: unknown,
	scan: FileScan,
	timeoutMs: number,
): EngineVerdict | undefined {
	if (scan.meter?.exceeded) return { verdict: 'NotScanned', reason: 'size' };
	if (scan.timedOut)
		return { verdict: 'Error', reason: `timeout: no verdict within ${timeoutMs} ms` };
	if (scan.signal.aborted || isConfigurationError(error)) return undefined;
	if (isMailIntelError(error) && error.code === SCANNER_INITIALIZING)
		return { verdict: 'NotScanned', reason: 'initializing' };
	return { verdict: 'Error', reason: errorMessage(error) };
}

/** The same for every file, so no use trying the others: a credential field to fix. */
function isConfigurationError(error: unknown): boolean {
	return isMailIntelError(error) && !error.retryable && error.field !== undefined;
}
