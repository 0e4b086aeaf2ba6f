import { createRequire } from 'node:module';

/**
 * Decodes one MIME leaf whose raw body is already in memory, in one call: what mailparser
 * does through a chain of streams per part (mailsplit's transfer decoder, then for a text part
 * a format=flowed decoder and a charset decoder). Same libraries, same calls, so the same
 * bytes come out (test/lib/mail/mime-walker.test.ts compares both on every shape); a
 * 10,000-part message no longer builds 10,000 stream chains to get them.
 */

// The copies mailparser and mailsplit load themselves, so nothing differs by a version.
const fromMailparser = createRequire(require.resolve('mailparser'));
const fromMailsplit = createRequire(require.resolve('@zone-eu/mailsplit'));

interface Libmime {
	decodeFlowed(value: string, delSp: boolean): string;
	normalizeCharset(charset: string): string;
}
interface IconvDecoder {
	write(bytes: Buffer): string | undefined;
	end(): string | undefined;
}

const libmime = fromMailparser('libmime') as Libmime;
const iconv = fromMailparser('iconv-lite') as { getDecoder(charset: string): IconvDecoder };
const encodingJapanese = fromMailparser('encoding-japanese') as {
	convert(data: Buffer, options: { to: string; from: string; type: 'string' }): unknown;
};
const libbase64 = fromMailsplit('libbase64') as { decode(value: string): Buffer };
const libqp = fromMailsplit('libqp') as { decode(value: Buffer): Buffer };

/**
 * The decoded bytes of a leaf body (Content-Transfer-Encoding as mailsplit normalized it).
 * base64 is read as libbase64's stream decoder reads it: every character outside the base64
 * alphabet dropped, padded runs decoded segment by segment (its chunking never changes the
 * result: a chunk is cut only at a quartet boundary).
 */
export function decodeTransfer(raw: Buffer, encoding: string | false): Buffer {
	if (!raw.length) return raw;
	switch (encoding) {
		case 'base64': {
			let text = raw.toString('ascii');
			if (/[^a-zA-Z0-9+/=]/.test(text)) text = text.replace(/[^a-zA-Z0-9+/=]/g, '');
			return text ? libbase64.decode(text) : Buffer.alloc(0);
		}
		case 'quoted-printable':
			return libqp.decode(raw);
		default:
			return raw;
	}
}

/** What mailparser's text branch needs to know about a text leaf. */
export interface TextPartShape {
	charset: string | false;
	flowed: boolean;
	delSp: boolean;
}

/**
 * A text leaf's content as mailparser sets `textContent`: format=flowed undone, the charset
 * decoded (left as is when the charset is unknown), UTF-8 read, line ends made `\n`.
 */
export function decodeText(decoded: Buffer, part: TextPartShape): string {
	let bytes = decoded;
	if (part.flowed && bytes.length)
		bytes = Buffer.from(libmime.decodeFlowed(bytes.toString('binary'), part.delSp), 'binary');
	const charset = part.charset || 'utf-8';
	if (!['ascii', 'usascii', 'utf8'].includes(charset.toLowerCase().replace(/[^a-z0-9]+/g, '')))
		bytes = decodeCharset(bytes, charset);
	return bytes.toString().replace(/\r?\n/g, '\n');
}

/** mailparser's getDecoder().decodeStream(charset), run on the whole body at once. */
function decodeCharset(bytes: Buffer, declared: string): Buffer {
	const charset = libmime.normalizeCharset(declared);
	if (/^jis|^iso-?2022-?jp/i.test(charset)) {
		// mailparser's JPDecoder: the whole input, kept as it is when conversion fails.
		try {
			const output = encodingJapanese.convert(bytes, {
				to: 'UNICODE',
				from: charset,
				type: 'string',
			});
			return typeof output === 'string' ? Buffer.from(output) : (output as Buffer);
		} catch {
			return bytes;
		}
	}
	let decoder: IconvDecoder;
	try {
		decoder = iconv.getDecoder(charset);
	} catch {
		// An unknown charset: mailparser leaves the bytes undecoded.
		return bytes;
	}
	// iconv-lite's stream emits what write() and end() return, each as UTF-8.
	const pieces = [decoder.write(bytes), decoder.end()].filter((piece): piece is string => !!piece);
	return Buffer.concat(pieces.map((piece) => Buffer.from(piece)));
}
