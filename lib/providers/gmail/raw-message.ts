import { PassThrough, Writable, type Readable } from 'node:stream';

import { MailIntelError } from '../../errors';
import { streamInto } from '../../http/send';

/** What `messages.get?format=raw` says about a message besides its source. */
export interface GmailMessageMeta {
	id: string;
	threadId?: string;
	labelIds?: string[];
	historyId?: string;
	/** Milliseconds since the epoch, as a string: when Gmail received the message. */
	internalDate?: string;
	sizeEstimate?: number;
}

/** The JSON around the source (ids, labels, snippet) is small; more than this is not Gmail's answer. */
const MAX_META_BYTES = 1024 * 1024;

/** `"raw"` as a member name, then its string value opens: the only unescaped `"raw"` in the JSON. */
const RAW_MEMBER = /"raw"\s*:\s*"/;

/**
 * Splits a `format=raw` answer as it arrives: the base64url `raw` member is decoded into
 * `source` piece by piece (the message is never held whole, nor its base64 text: a 25 MB
 * message is ~34 MB of JSON), and the rest of the JSON is parsed into `meta` at the end.
 * Linear in the body; `source` errors when the body does (a cut download) or is not Gmail's.
 */
export function splitRawMessage(body: Readable): {
	source: Readable;
	meta: Promise<GmailMessageMeta>;
} {
	const source = new PassThrough();
	let outer = ''; // latin1: one char per byte, so byte-exact; decoded as UTF-8 at the end
	let state: 'before' | 'raw' | 'after' = 'before';
	let carry = ''; // base64url characters not yet forming a whole 4-character group

	const decode = (chars: string, last: boolean): Buffer => {
		const text = carry + chars;
		const whole = last ? text.length : text.length - (text.length % 4);
		carry = text.slice(whole);
		return Buffer.from(text.slice(0, whole), 'base64url');
	};

	const sink = new Writable({
		write(chunk: Buffer, _encoding, callback) {
			let text = chunk.toString('latin1');
			let bytes: Buffer | undefined;
			if (state === 'before') {
				// A member name may be split across chunks: scan the tail of what came before too.
				const from = Math.max(0, outer.length - 16);
				outer += text;
				const match = RAW_MEMBER.exec(outer.slice(from));
				if (match && outer[from + match.index - 1] !== '\\') {
					const start = from + match.index + match[0].length;
					text = outer.slice(start);
					outer = outer.slice(0, start);
					state = 'raw';
				} else text = '';
			}
			if (state === 'raw' && text) {
				const end = text.indexOf('"');
				bytes = decode(end < 0 ? text : text.slice(0, end), end >= 0);
				if (end >= 0) {
					state = 'after';
					outer += text.slice(end);
				}
			} else if (state === 'after') outer += text;
			if (outer.length > MAX_META_BYTES)
				return callback(notGmail(`more than ${MAX_META_BYTES} bytes of JSON besides the source`));
			if (state === 'after' && !source.writableEnded) source.end(bytes);
			else if (bytes && bytes.length > 0 && !source.write(bytes)) {
				source.once('drain', () => callback());
				return;
			}
			callback();
		},
		final(callback) {
			if (state !== 'after') return callback(notGmail('no complete "raw" member'));
			callback();
		},
	});

	// `streamInto` rather than `pipeline`: pipeline aborts an AbortController per call, whose
	// DOMException (a captured stack) was ~4% of the main thread's time in a 5,000-message sync.
	const done = new Promise<void>((resolve, reject) => {
		sink.once('finish', resolve);
		sink.once('error', reject);
	});
	// A body closed before its end without an error (as pipeline's premature close).
	body.once('close', () => {
		if (!body.readableEnded && !sink.destroyed) sink.destroy(notGmail('the download was cut'));
	});
	streamInto(body, sink);
	const meta = done.then(
		() => {
			try {
				return JSON.parse(Buffer.from(outer, 'latin1').toString('utf8')) as GmailMessageMeta;
			} catch (error) {
				throw notGmail(`its JSON does not parse (${(error as Error).message})`);
			}
		},
		(error: unknown) => {
			source.destroy(error instanceof Error ? error : new Error(String(error)));
			throw error;
		},
	);
	meta.catch(() => undefined); // the caller awaits it after the parse
	return { source, meta };
}

function notGmail(detail: string): MailIntelError {
	return new MailIntelError(`the Gmail answer to format=raw is not a message: ${detail}`, {
		source: 'gmail',
		code: 'BAD_RAW_MESSAGE',
		retryable: true,
		hint: 'Check that API Base URL points at the Gmail API.',
	});
}
