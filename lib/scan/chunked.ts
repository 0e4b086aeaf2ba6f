import { Readable } from 'node:stream';

/**
 * Bytes already in memory (an n8n binary kept in the item) as a stream of `chunkBytes` pieces,
 * so an engine frames and sends them as it does a stored file (clamd's INSTREAM chunks).
 */
export function chunkedStream(bytes: Buffer, chunkBytes = 64 * 1024): Readable {
	return Readable.from(
		(function* () {
			for (let at = 0; at < bytes.length; at += chunkBytes)
				yield bytes.subarray(at, at + chunkBytes);
		})(),
	);
}
