// Proves the real-Dovecot harness: what the IMAP tests rely on works against a live server.
import { execSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from './dovecot';
import { RawImap } from './raw-imap';

function message(i: number): string {
	return [
		'From: Sender <sender@example.com>',
		'To: alice@example.com',
		`Subject: message ${i}`,
		`Message-ID: <seed-${i}@example.com>`,
		'Date: Mon, 01 Jan 2024 00:00:00 +0000',
		'MIME-Version: 1.0',
		'Content-Type: text/plain; charset=utf-8',
		'',
		`body of message ${i}`,
		'',
	].join('\r\n');
}

async function status(imap: ImapFlow, mailbox: string) {
	const result = await imap.status(mailbox, { uidValidity: true, uidNext: true });
	if (!result) throw new Error(`STATUS ${mailbox} failed`);
	return result;
}

function client(server: DovecotServer, options: { tls: boolean; user?: string }): ImapFlow {
	const user = options.user ?? 'alice';
	return new ImapFlow({
		host: server.host,
		port: options.tls ? server.tlsPort : server.port,
		secure: options.tls,
		servername: 'localhost',
		tls: { ca: [server.certPem] },
		auth: { user, pass: server.users[user] },
		logger: false,
		disableAutoIdle: true,
	});
}

describe('real Dovecot harness', () => {
	let server: DovecotServer;

	beforeAll(async () => {
		server = await startDovecot({ users: { alice: 'alicepass', bob: 'bobpass' } });
	});

	afterAll(async () => {
		await server?.stop();
	});

	it('listens on loopback with free ports, its own lab folder and a cert for localhost', () => {
		expect(server.host).toBe('127.0.0.1');
		expect(server.port).toBeGreaterThan(0);
		expect(server.tlsPort).toBeGreaterThan(0);
		expect(server.port).not.toBe(server.tlsPort);
		expect(server.lab).toMatch(/test\/\.lab\/[0-9a-f]{8}$/);
		expect(server.certPem).toContain('BEGIN CERTIFICATE');
		const cert = new X509Certificate(server.certPem);
		expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
	});

	it('accepts imapflow over implicit TLS, verifying the harness cert as CA', async () => {
		const imap = client(server, { tls: true });
		await imap.connect();
		expect(imap.secureConnection).toBe(true);
		expect(imap.capabilities.has('CONDSTORE')).toBe(true);
		expect(imap.capabilities.has('QRESYNC')).toBe(true);
		expect(imap.capabilities.has('UIDPLUS')).toBe(true);
		const folders = (await imap.list()).map((folder) => folder.path).sort();
		expect(folders).toEqual(['INBOX', 'Junk', 'Sent', 'Trash']);
		await imap.logout();
	});

	it('rejects TLS without the harness cert as CA (the cert is really self-signed)', async () => {
		await expect(
			new Promise((resolve, reject) => {
				const socket = tls.connect(
					{ host: server.host, port: server.tlsPort, servername: 'localhost' },
					() => resolve(socket),
				);
				socket.once('error', reject);
			}),
		).rejects.toThrow(/self.signed/i);
	});

	it('upgrades the plain port with STARTTLS and also allows a plaintext LOGIN', async () => {
		const imap = client(server, { tls: false, user: 'bob' });
		await imap.connect();
		expect(imap.secureConnection).toBe(true);
		await imap.logout();

		const raw = await RawImap.connect(server.host, server.port);
		await raw.login('bob', 'bobpass');
		const caps = await raw.ok(['CAPABILITY\r\n']);
		expect(caps.untagged.join(' ')).toContain('IDLE');
		await raw.logout();

		const wrong = await RawImap.connect(server.host, server.port);
		await expect(wrong.login('bob', 'nope')).rejects.toThrow(/LOGIN failed/);
		wrong.destroy();
	});

	it('seeds 1,000 messages with dates and flags; UIDs come back in the given order', async () => {
		const count = 1000;
		const messages = Array.from({ length: count }, (_, i) => message(i));
		const base = Date.UTC(2024, 0, 1);
		const internalDates = messages.map((_, i) => new Date(base + i * 60_000));
		const flags = messages.map((_, i) =>
			i % 3 === 0 ? ['\\Seen'] : i % 3 === 1 ? ['\\Flagged', '$Phish'] : [],
		);
		const uids = await server.seed('alice', 'Archive/2024', messages, { internalDates, flags });
		expect(uids).toHaveLength(count);
		expect(new Set(uids).size).toBe(count);

		const imap = client(server, { tls: true });
		await imap.connect();
		const lock = await imap.getMailboxLock('Archive/2024');
		try {
			const seen = new Map<number, { subject: string; internalDate: number; flags: string[] }>();
			for await (const msg of imap.fetch(
				'1:*',
				{ uid: true, envelope: true, internalDate: true, flags: true },
				{ uid: true },
			)) {
				seen.set(msg.uid, {
					subject: msg.envelope?.subject ?? '',
					internalDate: new Date(msg.internalDate as Date).getTime(),
					flags: [...(msg.flags ?? [])].filter((flag) => flag !== '\\Recent').sort(),
				});
			}
			expect(seen.size).toBe(count);
			uids.forEach((uid, i) => {
				const got = seen.get(uid);
				expect(got?.subject).toBe(`message ${i}`);
				expect(got?.internalDate).toBe(internalDates[i].getTime());
				expect(got?.flags).toEqual([...flags[i]].sort());
			});
		} finally {
			lock.release();
			await imap.logout();
		}

		const readBack = await server.flags('alice', 'Archive/2024');
		expect(readBack.size).toBe(count);
		uids.forEach((uid, i) =>
			expect([...(readBack.get(uid) ?? [])].sort()).toEqual([...flags[i]].sort()),
		);
	});

	it('reading flags never sets \\Seen', async () => {
		const uids = await server.seed('bob', 'INBOX', [message(1), message(2)]);
		await server.flags('bob', 'INBOX');
		const flags = await server.flags('bob', 'INBOX');
		expect(uids.map((uid) => flags.get(uid))).toEqual([[], []]);
	});

	it('kick cuts a live session', async () => {
		const imap = client(server, { tls: true });
		await imap.connect();
		await imap.mailboxOpen('INBOX');
		const closed = new Promise((resolve) => imap.once('close', resolve));
		await server.kick('alice');
		await closed;
		expect(imap.usable).toBe(false);
	});

	it('kill ends the server and its sessions; start brings it back with the same ports and data', async () => {
		const before = await server.flags('alice', 'Archive/2024');
		const imap = client(server, { tls: true });
		await imap.connect();
		const closed = new Promise((resolve) => imap.once('close', resolve));
		await server.kill();
		await closed;
		await expect(RawImap.connect(server.host, server.port)).rejects.toThrow(/ECONNREFUSED/);

		await server.start();
		const after = await server.flags('alice', 'Archive/2024');
		expect([...after.keys()]).toEqual([...before.keys()]);
	});

	it('setUidValidity gives the mailbox a new UIDVALIDITY that clients see', async () => {
		const imap = client(server, { tls: true });
		await imap.connect();
		const before = await status(imap, 'INBOX');
		await imap.logout();
		await server.setUidValidity('alice', 'INBOX', 4242);

		const again = client(server, { tls: true });
		await again.connect();
		const after = await status(again, 'INBOX');
		await again.logout();
		expect(before.uidValidity).not.toBe(BigInt(4242));
		expect(after.uidValidity).toBe(BigInt(4242));
	});

	it('renumber makes Dovecot assign UIDs from 1 again (with a new UIDVALIDITY)', async () => {
		const uids = await server.seed('alice', 'Renumbered', [1, 2, 3, 4, 5].map(message));
		expect(uids).toEqual([1, 2, 3, 4, 5]);
		const imap = client(server, { tls: true });
		await imap.connect();
		let lock = await imap.getMailboxLock('Renumbered');
		await imap.messageDelete('1:3', { uid: true });
		lock.release();
		const before = await status(imap, 'Renumbered');
		await imap.logout();
		expect(before.uidNext).toBe(6);

		await server.renumber('alice', 'Renumbered');

		const again = client(server, { tls: true });
		await again.connect();
		lock = await again.getMailboxLock('Renumbered');
		const subjects: Array<[number, string]> = [];
		for await (const msg of again.fetch('1:*', { uid: true, envelope: true }, { uid: true })) {
			subjects.push([msg.uid, msg.envelope?.subject ?? '']);
		}
		lock.release();
		const after = await status(again, 'Renumbered');
		await again.logout();
		expect(subjects.sort((a, b) => a[0] - b[0])).toEqual([
			[1, 'message 4'],
			[2, 'message 5'],
		]);
		expect(after.uidNext).toBe(3);
		expect(after.uidValidity).not.toBe(before.uidValidity);
	});

	it('doveadm runs against this instance', async () => {
		const out = await server.doveadm(
			'mailbox',
			'status',
			'-u',
			'alice',
			'messages',
			'Archive/2024',
		);
		expect(out).toMatch(/messages=1000/);
	});
});

describe('startDovecot', () => {
	it('runs two servers side by side and stop() removes the lab folder', async () => {
		const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
		try {
			expect(new Set([a.port, a.tlsPort, b.port, b.tlsPort]).size).toBe(4);
			expect(a.lab).not.toBe(b.lab);
			expect(await a.seed('alice', 'INBOX', [message(1)])).toEqual([1]);
			expect((await b.flags('alice', 'INBOX')).size).toBe(0);
		} finally {
			await a.stop();
			await b.stop();
		}
		expect(fs.existsSync(a.lab)).toBe(false);
		expect(fs.existsSync(b.lab)).toBe(false);
	});

	it('a test process killed with SIGKILL leaves no Dovecot behind', async () => {
		// a plain Node child (no Jest) that loads dovecot.ts through the TypeScript compiler
		const script = `
			const ts = require('typescript');
			const fs = require('node:fs');
			require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true } }).outputText, file);
			require(${JSON.stringify(path.join(__dirname, 'dovecot.ts'))}).startDovecot().then((server) => { console.log(server.lab); setInterval(() => {}, 1000); });`;
		const child = spawn(process.execPath, ['-e', script], {
			cwd: path.resolve(__dirname, '../..'),
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		const lab: string = await new Promise((resolve) =>
			child.stdout?.once('data', (data: Buffer) => resolve(data.toString().trim())),
		);
		// by command name: the watchdog shell's arguments carry the same command line
		const masters = () =>
			Number(
				execSync(`ps -eo comm=,args= | grep -c "^dovecot .*-F -c ${lab}/" || true`)
					.toString()
					.trim(),
			);
		try {
			expect(masters()).toBe(1);
			child.kill('SIGKILL');
			const deadline = Date.now() + 5000;
			while (masters() > 0 && Date.now() < deadline)
				await new Promise((resolve) => setTimeout(resolve, 50));
			expect(masters()).toBe(0);
		} finally {
			fs.rmSync(lab, { recursive: true, force: true });
		}
	});
});
