/**
 * RESP2, the Redis wire format (https://redis.io/docs/latest/develop/reference/protocol-spec/):
 * commands go out as arrays of bulk strings; replies are parsed incrementally from whatever the
 * socket delivers. Only what the pack's commands answer is parsed: simple strings, errors,
 * integers, bulk strings (null included) and arrays of those.
 */
export type RespValue = string | number | null | RespError | RespValue[];

/** A `-ERR …` reply: an answer, not a broken connection. */
export class RespError {
	constructor(readonly message: string) {}
}

export function encodeCommand(args: Array<string | number>): Buffer {
	const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
	for (const arg of args) {
		const bytes = Buffer.from(String(arg), 'utf8');
		parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
	}
	return Buffer.concat(parts);
}

/** Replies larger than this are refused: the pack stores small JSON cursors, never blobs. */
const MAX_REPLY_BYTES = 1024 * 1024;

/**
 * Feeds socket data in, hands complete replies out in order. A reply still incomplete is parsed
 * again from its start when more data arrives: fine for the pack's small replies, and bounded by
 * MAX_REPLY_BYTES.
 */
export class RespParser {
	private buffer: Buffer = Buffer.alloc(0);

	push(chunk: Buffer): RespValue[] {
		this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
		if (this.buffer.length > MAX_REPLY_BYTES)
			throw new Error(`Redis reply above ${MAX_REPLY_BYTES} bytes`);
		const replies: RespValue[] = [];
		for (;;) {
			const parsed = parseValue(this.buffer, 0);
			if (!parsed) break;
			replies.push(parsed.value);
			this.buffer = this.buffer.subarray(parsed.end);
		}
		return replies;
	}
}

function parseValue(buffer: Buffer, at: number): { value: RespValue; end: number } | undefined {
	const lineEnd = buffer.indexOf('\r\n', at);
	if (lineEnd < 0) return undefined;
	const type = String.fromCharCode(buffer[at]);
	const line = buffer.toString('utf8', at + 1, lineEnd);
	const next = lineEnd + 2;
	switch (type) {
		case '+':
			return { value: line, end: next };
		case '-':
			return { value: new RespError(line), end: next };
		case ':':
			return { value: Number(line), end: next };
		case '$': {
			const length = Number(line);
			if (length < 0) return { value: null, end: next };
			if (buffer.length < next + length + 2) return undefined;
			return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
		}
		case '*': {
			const count = Number(line);
			if (count < 0) return { value: null, end: next };
			const items: RespValue[] = [];
			let end = next;
			for (let i = 0; i < count; i++) {
				const item = parseValue(buffer, end);
				if (!item) return undefined;
				items.push(item.value);
				end = item.end;
			}
			return { value: items, end };
		}
		default:
			throw new Error(`Not a Redis reply (type byte ${JSON.stringify(type)})`);
	}
}
