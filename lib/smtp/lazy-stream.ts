import { PassThrough, type Readable } from 'node:stream';

/**
 * A stream that opens its source on the first read. nodemailer reads attachments one after the
 * other while it writes the message; opening each only then keeps one source open at a time
 * (an IMAP part download holds its mailbox lock until it closes, so opening all up front
 * would wait on itself).
 */
export function lazyStream(open: () => Promise<Readable | Buffer>): Readable {
	let opened = false;
	const output = new PassThrough();
	const start = () => {
		if (opened) return;
		opened = true;
		open().then(
			(source) => {
				// bytes already in memory (n8n's default binary mode) need no stream of their own
				if (Buffer.isBuffer(source)) {
					output.end(source);
					return;
				}
				source.once('error', (error) => output.destroy(error));
				source.pipe(output);
			},
			(error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))),
		);
	};
	// every consumer (pipe, read(), async iteration) ends up asking _read for data
	const read = output._read.bind(output);
	output._read = (size: number) => {
		start();
		read(size);
	};
	return output;
}
