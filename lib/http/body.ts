import type { Readable } from 'node:stream';

import { MailIntelError, type ErrorSource } from '../errors';

/** JSON and error bodies are read into memory; anything larger than this is refused, not buffered. */
export const MAX_BUFFERED_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Reads a whole (small) body. Listeners rather than `for await`: the async iterator Node builds
 * per stream (end-of-stream watchers, a promise per chunk) showed in the profile of small uploads,
 * where each answer is one chunk of JSON.
 */
export function readBuffer(
	body: Readable,
	options: { maxBytes?: number; source?: ErrorSource } = {},
): Promise<Buffer> {
	const maxBytes = options.maxBytes ?? MAX_BUFFERED_BODY_BYTES;
	return new Promise<Buffer>((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let ended = false;
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size <= maxBytes) return void chunks.push(chunk);
			body.off('data', onData);
			body.destroy();
			reject(bodyTooLarge(maxBytes, options.source ?? 'config'));
		};
		body.on('data', onData);
		// `on` rather than `once` (a wrapper per listener, per answer): 'end' and 'close' come once,
		// and a second 'error' would find a listener instead of crashing the process.
		body.on('end', () => {
			ended = true;
			resolve(Buffer.concat(chunks));
		});
		body.on('error', reject);
		// Destroyed without an error (and not by us): the body is cut short, as `for await` says.
		body.on('close', () => {
			if (!ended)
				reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
		});
	});
}

/** A body that passed the bytes such an answer can hold: refused, not buffered. */
export function bodyTooLarge(maxBytes: number, source: ErrorSource): MailIntelError {
	return new MailIntelError(`a response body passed ${maxBytes} bytes`, {
		source,
		code: 'BODY_TOO_LARGE',
		hint: 'The server sent far more than such an answer holds; check the URL points at the right service.',
	});
}

export async function readText(
	body: Readable,
	options: { maxBytes?: number; source?: ErrorSource } = {},
): Promise<string> {
	return (await readBuffer(body, options)).toString('utf8');
}

/** Lets a body go without reading it: frees its socket (and whatever was reserved for it). */
export function discard(body: Readable): void {
	body.destroy();
}
