import type { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';

import { isMailIntelError } from '../errors';
import { bufferSink, parseEmail, type AttachmentSink } from './parse';
import type { ParseJob, ParseJobResult, WorkerAttachment } from './parse-workers';
import type { AttachmentInfo } from './types';

// The body of one parse thread (see parse-workers.ts): parses each job of a batch with the
// same parseEmail the main thread uses, keeping attachments as fresh ArrayBuffers so they
// can be transferred back without a copy.

// mailparser ends some streams twice per message; Node builds an error with a stack trace
// for each (~2% of parse time). Nothing on this thread reads stacks: failures go back as
// messages and the job is parsed again on the calling thread.
Error.stackTraceLimit = 0;

/**
 * Kept attachments go back as Uint8Arrays whose ArrayBuffer is theirs alone, so they can be
 * transferred without a copy. Small Buffers share one pooled ArrayBuffer, which must not be
 * transferred: those are copied into one of their own.
 */
function transferable(data: Buffer): Uint8Array {
	if (data.byteOffset === 0 && data.buffer.byteLength === data.byteLength) return data;
	// allocUnsafeSlow: an ArrayBuffer of its own, not zeroed first (every byte is copied in).
	const copy = Buffer.allocUnsafeSlow(data.byteLength);
	data.copy(copy);
	return copy;
}

const transferableSink: AttachmentSink<Uint8Array> = Object.assign(
	async (info: AttachmentInfo, content: Readable) =>
		transferable((await bufferSink(info, content)).data),
	{ fromBuffer: async (_info: AttachmentInfo, data: Buffer) => transferable(data) },
);

async function parseJob(job: ParseJob): Promise<ParseJobResult> {
	try {
		// A view of the transferred bytes (Buffer.from(uint8Array) would copy them).
		const source = Buffer.from(job.source.buffer, job.source.byteOffset, job.source.byteLength);
		const parsed = await parseEmail(source, job.identity, {
			policy: job.policy,
			sink: transferableSink,
			recordTransientFailures: job.recordTransientFailures,
		});
		const attachments: WorkerAttachment[] = parsed.attachments.map((kept) => ({
			binaryProperty: kept.binaryProperty,
			info: kept.info,
			data: kept.stored,
		}));
		return { id: job.id, email: parsed.email, attachments };
	} catch (error) {
		if (isMailIntelError(error)) {
			// Its class and fields would not survive postMessage: they go as data.
			const { source, status, code, retryable, retryAfterMs, hint } = error;
			return {
				id: job.id,
				error: error.message,
				failure: { source, status, code, retryable, retryAfterMs, hint },
			};
		}
		return { id: job.id, error: error instanceof Error ? error.message : String(error) };
	}
}

parentPort?.on('message', (jobs: ParseJob[]) => {
	void Promise.all(jobs.map(parseJob)).then((results) => {
		const transfer = results.flatMap((result) =>
			'attachments' in result ? result.attachments.map((a) => a.data.buffer as ArrayBuffer) : [],
		);
		parentPort!.postMessage(results, transfer);
	});
});
