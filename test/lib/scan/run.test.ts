import { createHash } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { Readable } from 'node:stream';

import { MailIntelError } from '../../../lib/errors';
import { scanFiles } from '../../../lib/scan/run';
import type { EngineVerdict, ScanEngine, ScanInput } from '../../../lib/scan/types';

/**
 * The runner's aborts: a file's timeout, the caller's signal and a configuration failure each
 * reach exactly the files they should. An in-memory engine records the signal every scan got;
 * files named `hang*` wait until their signal aborts.
 */
class RecordingEngine implements ScanEngine {
	readonly name = 'dsxa' as const;
	readonly signals = new Map<string, AbortSignal>();
	readonly bytes = new Map<string, number>();
	/** Answers `failWith` for the file of that id. */
	failWith = new Map<string, Error>();
	private waiters: Array<{ count: number; resolve: () => void }> = [];

	/** Resolves once `count` scans have started. */
	started(count: number): Promise<void> {
		return new Promise((resolve) => {
			this.waiters.push({ count, resolve });
			this.wake();
		});
	}

	private wake() {
		for (const waiter of this.waiters) if (this.signals.size >= waiter.count) waiter.resolve();
	}

	async scan(input: ScanInput): Promise<EngineVerdict> {
		const id = input.file.id;
		this.signals.set(id, input.signal!);
		this.wake();
		let size = 0;
		for await (const chunk of await input.open()) size += (chunk as Buffer).length;
		this.bytes.set(id, size);
		const failure = this.failWith.get(id);
		if (failure) throw failure;
		if (id.startsWith('hang')) {
			input.signal!.throwIfAborted();
			await new Promise((_, reject) =>
				input.signal!.addEventListener('abort', () => reject(input.signal!.reason), {
					once: true,
				}),
			);
		}
		return { verdict: 'Benign' };
	}
}

function file(id: string, bytes = Buffer.from(`bytes of ${id}`)): ScanInput {
	return {
		file: { id, filename: `${id}.bin`, size: bytes.length },
		open: async () => Readable.from([bytes]),
	};
}

const NO_RETRY = { retries: 0 };

describe('scan runner: timeouts and aborts', () => {
	test('a file past its timeout is Error; only its own scan is aborted, the others finish', async () => {
		const engine = new RecordingEngine();
		const files = await scanFiles(engine, [file('hang-a'), file('b'), file('c')], {
			timeoutMs: 200,
			retry: NO_RETRY,
		});
		expect(files.map((verdict) => verdict.verdict)).toEqual(['Error', 'Benign', 'Benign']);
		expect(files[0]!.reason).toBe('timeout: no verdict within 200 ms');
		expect(engine.signals.get('hang-a')!.aborted).toBe(true);
		expect(engine.signals.get('b')!.aborted).toBe(false);
		expect(engine.signals.get('c')!.aborted).toBe(false);
		// The hash and size are those of the bytes that went to the engine.
		expect(files[1]!.attachment.sha256).toMatch(/^[0-9a-f]{64}$/);
		expect(files[1]!.attachment.size).toBe(engine.bytes.get('b'));
	});

	test("per-file timeouts on the run's one timer: each file gets its own, a timed-out signal is never handed on", async () => {
		// One at a time, so each file's controller is the one the previous file released: an
		// aborted one must not be reused, an unaborted one may be.
		const engine = new RecordingEngine();
		const files = await scanFiles(engine, [file('hang-a'), file('b'), file('hang-c'), file('d')], {
			concurrency: 1,
			timeoutMs: 100,
			retry: NO_RETRY,
		});
		expect(files.map((verdict) => verdict.verdict)).toEqual(['Error', 'Benign', 'Error', 'Benign']);
		expect(files[2]!.reason).toBe('timeout: no verdict within 100 ms');
		const signal = (id: string) => engine.signals.get(id)!;
		expect(signal('b')).not.toBe(signal('hang-a'));
		expect(signal('hang-c')).not.toBe(signal('hang-a'));
		expect(signal('d')).not.toBe(signal('hang-c'));
		// b's (unaborted) controller may serve hang-c after b is done; d's is not aborted.
		expect(signal('d').aborted).toBe(false);
	});

	test("the caller's abort stops the files in flight and starts no other", async () => {
		const engine = new RecordingEngine();
		const caller = new AbortController();
		const run = scanFiles(engine, [file('hang-1'), file('hang-2'), file('later')], {
			concurrency: 2,
			signal: caller.signal,
			retry: NO_RETRY,
		});
		await engine.started(2);
		caller.abort(new Error('workflow cancelled'));
		await expect(run).rejects.toThrow('workflow cancelled');
		expect(engine.signals.get('hang-1')!.aborted).toBe(true);
		expect(engine.signals.get('hang-2')!.aborted).toBe(true);
		expect(engine.signals.has('later')).toBe(false);
	});

	test('a configuration failure of one file aborts the files in flight with it and is thrown', async () => {
		const engine = new RecordingEngine();
		const refused = new MailIntelError('the DSXA scanner refused the auth token (HTTP 401)', {
			source: 'dsx',
			status: 401,
			field: 'token',
		});
		const run = scanFiles(engine, [file('hang-1'), file('bad'), file('later')], {
			concurrency: 2,
			retry: NO_RETRY,
		});
		// 'bad' fails once its bytes are read; 'hang-1' is in flight by then.
		engine.failWith.set('bad', refused);
		await expect(run).rejects.toBe(refused);
		expect(engine.signals.get('hang-1')!.aborted).toBe(true);
		expect(engine.signals.get('hang-1')!.reason).toBe(refused);
		expect(engine.signals.has('later')).toBe(false);
	});

	test("a finished run leaves no listener on the caller's signal (runs sharing one signal do not pile up)", async () => {
		const engine = new RecordingEngine();
		const caller = new AbortController();
		for (let run = 0; run < 3; run++)
			await scanFiles(engine, [file(`a${run}`), file(`b${run}`)], { signal: caller.signal });
		expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
	});
});

describe('scan runner: the file hash', () => {
	test("the SHA-256 is that of the bytes scanned; a hash the item carries (the trigger's) is kept, not recomputed", async () => {
		const engine = new RecordingEngine();
		const bytes = Buffer.from('attachment bytes');
		const carried = 'c'.repeat(64);
		const known = {
			...file('known', bytes),
			file: { ...file('known', bytes).file, sha256: carried },
		};
		const [computed, kept] = await scanFiles(engine, [file('bare', bytes), known], {
			retry: NO_RETRY,
		});
		expect(computed!.attachment.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
		expect(kept!.attachment.sha256).toBe(carried);
		expect(kept!.attachment.size).toBe(bytes.length);
	});

	test('with the hash known the size cap still holds on the bytes that flow (a declared size can lie)', async () => {
		const engine = new RecordingEngine();
		const bytes = Buffer.alloc(5000, 1);
		const liar = {
			...file('liar', bytes),
			file: { id: 'liar', filename: 'liar.bin', size: 10, sha256: 'c'.repeat(64) },
		};
		const [verdict] = await scanFiles(engine, [liar], { maxSizeBytes: 1000, retry: NO_RETRY });
		expect(verdict).toMatchObject({ verdict: 'NotScanned', reason: 'size' });
		expect(engine.bytes.has('liar')).toBe(false); // the engine never got all of it
	});
});

describe('scan runner: many files', () => {
	test('every file of a long list gets its verdict, in input order, at most `concurrency` at once', async () => {
		let running = 0;
		let most = 0;
		const engine: ScanEngine = {
			name: 'dsxa',
			async scan(input) {
				running++;
				most = Math.max(most, running);
				for await (const chunk of await input.open()) void chunk;
				await new Promise((resolve) => setImmediate(resolve));
				running--;
				return { verdict: 'Benign', reason: input.file.id };
			},
		};
		const files = Array.from({ length: 300 }, (_, n) => file(`f${n}`));
		const verdicts = await scanFiles(engine, files, { concurrency: 4 });
		expect(verdicts.map((verdict) => verdict.reason)).toEqual(files.map((input) => input.file.id));
		expect(most).toBe(4);
	});
});
