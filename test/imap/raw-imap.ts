// A minimal IMAP client on a raw socket, for the harness only: seeding with one MULTIAPPEND
// command per chunk (LITERAL+ means no round trip per message, ~7k msg/s) and reading flags
// back. Tests of the product use imapflow; this exists so the harness does not depend on the
// client under test and stays fast for 100,000-message mailboxes.
import net from 'node:net';

export interface TaggedResult {
	status: 'OK' | 'NO' | 'BAD';
	text: string;
	untagged: string[];
}

export class RawImap {
	private buffer = '';
	private tagCounter = 0;
	private waiting:
		| { tag: string; untagged: string[]; resolve: (r: TaggedResult) => void }
		| undefined;
	private greeting: Promise<string>;
	private closedError: Error | undefined;
	private onGreeting: ((line: string) => void) | undefined;

	private constructor(private readonly socket: net.Socket) {
		socket.setEncoding('latin1');
		this.greeting = new Promise((resolve, reject) => {
			this.onGreeting = (line) =>
				line.startsWith('* OK')
					? resolve(line)
					: reject(new Error(`unexpected IMAP greeting: ${line}`));
			socket.once('error', reject);
		});
		socket.on('data', (chunk: string) => {
			this.buffer += chunk;
			this.drainLines();
		});
		socket.on('error', (error) => this.fail(error));
		socket.on('close', () => this.fail(new Error('IMAP connection closed')));
	}

	static async connect(host: string, port: number): Promise<RawImap> {
		const socket = net.connect({ host, port });
		await new Promise<void>((resolve, reject) => {
			socket.once('connect', resolve);
			socket.once('error', reject);
		});
		const client = new RawImap(socket);
		await client.greeting;
		return client;
	}

	private fail(error: Error): void {
		this.closedError ??= error;
		const waiting = this.waiting;
		this.waiting = undefined;
		if (waiting)
			waiting.resolve({ status: 'BAD', text: error.message, untagged: waiting.untagged });
	}

	private drainLines(): void {
		for (;;) {
			const end = this.buffer.indexOf('\r\n');
			if (end < 0) return;
			const line = this.buffer.slice(0, end);
			this.buffer = this.buffer.slice(end + 2);
			if (this.onGreeting) {
				const onGreeting = this.onGreeting;
				this.onGreeting = undefined;
				onGreeting(line);
				continue;
			}
			const waiting = this.waiting;
			if (!waiting) continue;
			if (line.startsWith(`${waiting.tag} `)) {
				this.waiting = undefined;
				const rest = line.slice(waiting.tag.length + 1);
				const status = rest.slice(
					0,
					rest.indexOf(' ') < 0 ? undefined : rest.indexOf(' '),
				) as TaggedResult['status'];
				waiting.resolve({ status, text: rest, untagged: waiting.untagged });
			} else if (line.startsWith('* ')) {
				waiting.untagged.push(line);
			}
		}
	}

	/** Sends one command (its parts written in order, literals included) and waits for its tagged reply. */
	async command(parts: Array<string | Buffer>): Promise<TaggedResult> {
		if (this.closedError) throw this.closedError;
		if (this.waiting) throw new Error('RawImap runs one command at a time');
		const tag = `H${++this.tagCounter}`;
		const done = new Promise<TaggedResult>((resolve) => {
			this.waiting = { tag, untagged: [], resolve };
		});
		let first = true;
		for (const part of parts) {
			const data = first ? `${tag} ${part as string}` : part;
			first = false;
			if (!this.socket.write(data)) {
				await new Promise<void>((resolve) => this.socket.once('drain', resolve));
			}
		}
		return done;
	}

	async ok(parts: Array<string | Buffer>): Promise<TaggedResult> {
		const result = await this.command(parts);
		if (result.status !== 'OK') {
			const head = typeof parts[0] === 'string' ? parts[0].split(' ')[0] : 'command';
			throw new Error(`IMAP ${head} failed: ${result.text}`);
		}
		return result;
	}

	async login(user: string, password: string): Promise<void> {
		await this.ok([`LOGIN ${quote(user)} ${quote(password)}\r\n`]);
	}

	async logout(): Promise<void> {
		try {
			await this.command(['LOGOUT\r\n']);
		} finally {
			this.socket.destroy();
		}
	}

	destroy(): void {
		this.socket.destroy();
	}
}

export function quote(value: string): string {
	return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Encodes a mailbox name as IMAP modified UTF-7 (RFC 3501 §5.1.3). */
export function encodeMailboxName(name: string): string {
	return name.replace(/&/g, '&-').replace(/[^\x20-\x7e]+/g, (run) => {
		const utf16 = Buffer.alloc(run.length * 2);
		for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
		return `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
	});
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMAP date-time ("02-Jan-2024 15:04:05 +0000"), in UTC. */
export function imapDateTime(date: Date): string {
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Expands an IMAP sequence set such as "1:3,7" in the order written (RFC 4315 APPENDUID order). */
export function expandUidSet(set: string): number[] {
	const uids: number[] = [];
	for (const range of set.split(',')) {
		const [a, b] = range.split(':').map(Number);
		if (b === undefined) uids.push(a);
		else if (a <= b) for (let uid = a; uid <= b; uid++) uids.push(uid);
		else for (let uid = a; uid >= b; uid--) uids.push(uid);
	}
	return uids;
}
