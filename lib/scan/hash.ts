import { createHash } from 'node:crypto';

import { MailIntelError, errorMessage } from '../errors';
import type { ScanInput } from './types';

/**
 * Reads a file's bytes once for their SHA-256, streaming (hash-first, or "skip files scanned
 * before" on a file nobody hashed yet). The signal stops the read.
 */
export async function sha256Of(input: ScanInput, signal?: AbortSignal): Promise<string> {
	const hash = createHash('sha256');
	const stream = await input.open();
	const abort = () => stream.destroy(signal?.reason as Error);
	signal?.addEventListener('abort', abort, { once: true });
	try {
		for await (const chunk of stream) hash.update(chunk as Buffer);
	} catch (error) {
		throw new MailIntelError(`could not read ${input.file.filename}: ${errorMessage(error)}`, {
			source: 'mail',
			cause: error,
		});
	} finally {
		signal?.removeEventListener('abort', abort);
	}
	return hash.digest('hex');
}
