// The throwaway Postfix itself: what the sending tests rely on it to enforce.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { startPostfix, type PostfixServer } from './postfix';

let dovecot: DovecotServer;
let postfix: PostfixServer;

beforeAll(async () => {
	dovecot = await startDovecot({
		mta: true,
		users: { 'alice@mail.test': 'alicepass', 'bob@mail.test': 'bobpass' },
	});
	postfix = await startPostfix(dovecot);
});
afterAll(async () => {
	await postfix?.stop();
	await dovecot?.stop();
});

/** A plain SMTP dialogue: sends each command and collects each (multi-line) reply. */
async function dialogue(port: number, commands: string[]): Promise<string[]> {
	const socket = net.connect({ host: postfix.host, port });
	const replies: string[] = [];
	let buffer = '';
	let waiting: ((reply: string) => void) | undefined;
	socket.on('data', (chunk) => {
		buffer += chunk.toString('latin1');
		// a reply ends with a line "NNN text" (no dash after the code)
		const end = /(^|\r\n)\d{3} [^\r\n]*\r\n$/.exec(buffer);
		if (end && waiting) {
			const done = waiting;
			waiting = undefined;
			const reply = buffer;
			buffer = '';
			done(reply);
		}
	});
	const next = () => new Promise<string>((resolve) => (waiting = resolve));
	try {
		replies.push(await next());
		for (const command of commands) {
			const reply = next();
			socket.write(`${command}\r\n`);
			replies.push(await reply);
		}
		return replies;
	} finally {
		socket.destroy();
	}
}

test('submission offers STARTTLS and no AUTH before it, and refuses mail before TLS', async () => {
	const [greeting, ehlo, mail] = await dialogue(postfix.submissionPort, [
		'EHLO client.test',
		'MAIL FROM:<alice@mail.test>',
	]);
	expect(greeting).toMatch(/^220 /);
	expect(ehlo).toMatch(/STARTTLS/);
	expect(ehlo).not.toMatch(/AUTH/);
	expect(mail).toMatch(/^530 .*STARTTLS/);
});

test('nobody relays without logging in, even to a local recipient (the plain port offers AUTH but demands it)', async () => {
	const [, ehlo, , rcpt] = await dialogue(postfix.plainPort, [
		'EHLO client.test',
		'MAIL FROM:<mallory@evil.example>',
		'RCPT TO:<bob@mail.test>',
	]);
	expect(ehlo).toMatch(/AUTH PLAIN LOGIN/);
	expect(rcpt).toMatch(/^554 /);
});

test('stop() ends the master and every Postfix daemon, and removes its files', async () => {
	const other = await startPostfix(dovecot, { domain: 'other.test' });
	const pidFile = path.join(other.queueDir, 'pid', 'master.pid');
	const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
	expect(() => process.kill(pid, 0)).not.toThrow();
	await other.stop();
	// the group is gone once the kernel has reaped it; a zombie may linger a moment
	const alive = () => {
		try {
			process.kill(-pid, 0);
			const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
			return !/\) Z /.test(stat);
		} catch {
			return false;
		}
	};
	for (let attempt = 0; attempt < 100 && alive(); attempt++)
		await new Promise((resolve) => setTimeout(resolve, 20));
	expect(alive()).toBe(false);
	expect(fs.existsSync(other.lab)).toBe(false);
	expect(fs.existsSync(other.queueDir)).toBe(false);
	// the first instance is untouched
	const [greeting] = await dialogue(postfix.submissionPort, []);
	expect(greeting).toMatch(/^220 /);
});
