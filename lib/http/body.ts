import type { Readable } from 'node:stream';

import { MailIntelError, type ErrorSource } from '../errors';

/** JSON and error bodies are read into memory; anything larger than this is refused, not buffered. */
export const MAX_BUFFERED_BODY_BYTES = 32 * 1024 * 1024;

export async function readBuffer(
	body: Readable,
	options: { maxBytes?: number; source?: ErrorSource } = {},
): Promise<Buffer> {
	const maxBytes = options.maxBytes ?? MAX_BUFFERED_BODY_BYTES;
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of body) {
		size += (chunk as Buffer).length;
		if (size > maxBytes) {
			body.destroy();
			throw new MailIntelError(`a response body passed ${maxBytes} bytes`, {
				source: options.source ?? 'config',
				code: 'BODY_TOO_LARGE',
				hint: 'The server sent far more than such an answer holds; check the URL points at the right service.',
			});
		}
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks);
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
