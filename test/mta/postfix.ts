// A throwaway real Postfix 3.7 on loopback for the sending tests (README "Sending (SMTP)").
// It accepts authenticated submission only (SASL answered by the test Dovecot's auth socket, so
// a wrong password is refused by the same passwd-file IMAP uses) and delivers into that Dovecot
// over LMTP: what a user's client sees is real delivery, not a mock.
//
// Running it unprivileged and throwaway: its own config directory (main.cf + master.cf written
// here), queue and data directories under the Dovecot lab, no chroot (nothing to copy into the
// queue), mail_owner = the `postfix` user the Debian package creates (Postfix refuses root). The
// queue tree is created by `postfix start` (post-install create-missing) with the owners Postfix
// wants. The master runs in the foreground (`start-fg`) inside a process group led by a watchdog
// shell, like Dovecot's: when this Node process dies, the group dies with it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import type { DovecotServer } from '../imap/dovecot';
import { ensurePostfixInstalled } from './ensure-postfix';

export interface PostfixServer {
	host: string;
	/** submission: STARTTLS required before AUTH (as port 587) */
	submissionPort: number;
	/** implicit TLS submission (as port 465) */
	smtpsPort: number;
	/** submission with no TLS at all and AUTH offered in the clear (to prove the client refuses it) */
	plainPort: number;
	/** the domain delivered into Dovecot; every Dovecot user whose name ends in it receives mail */
	domain: string;
	/** its config, data and log folders (`<dovecot lab>/postfix-<random>`) */
	lab: string;
	/** its queue (under `lab`, or in /tmp when that path is too long for unix sockets) */
	queueDir: string;
	/** the whole mail log so far (postfix start output, then every daemon's lines) */
	log(): string;
	/** resolves when no message is waiting in the queue (delivered or bounced) */
	waitForEmptyQueue(): Promise<void>;
	stop(): Promise<void>;
}

export interface StartPostfixOptions {
	/** default 'mail.test' */
	domain?: string;
}

const POSTFIX = '/usr/sbin/postfix';
const POSTQUEUE = '/usr/sbin/postqueue';
const HOST = '127.0.0.1';

// Postfix's master calls setsid(): it leads a process group of its own (its pid, in
// queue/pid/master.pid), which holds every Postfix daemon. The watchdog kills that group and its
// own when our end of its stdin closes (this Node process died) or when the master exits.
const WATCHDOG = [
	'exec 3<&0',
	'"$1" -c "$2" start-fg </dev/null >>"$3" 2>&1 &',
	'postfix=$!',
	'killall() { pid=$(cat "$4" 2>/dev/null) && kill -s KILL -- "-$pid" 2>/dev/null; kill -s KILL 0; }',
	'{ read -r _ <&3; killall "$@"; } &',
	'wait "$postfix"',
	'killall "$@"',
].join('\n');

const running = new Set<ChildProcess>();
process.once('exit', () => {
	for (const child of running) killGroup(child);
});

function killGroup(child: ChildProcess): void {
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, 'SIGKILL');
	} catch {
		// already gone
	}
}

/** SIGKILL to the master's own process group: the master and every Postfix daemon. */
function killMaster(pidFile: string): void {
	try {
		const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
		if (pid > 1) process.kill(-pid, 'SIGKILL');
	} catch {
		// not started, or already gone
	}
}

async function freePort(taken: number[]): Promise<number> {
	for (;;) {
		const port = await new Promise<number>((resolve, reject) => {
			const server = net.createServer();
			server.unref();
			server.once('error', reject);
			server.listen(0, HOST, () => {
				const { port: chosen } = server.address() as net.AddressInfo;
				server.close(() => resolve(chosen));
			});
		});
		if (!taken.includes(port)) return port;
	}
}

function run(file: string, args: string[]): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile(file, args, (error, stdout, stderr) => {
			if (error)
				reject(new Error(`${path.basename(file)} ${args.join(' ')}: ${stderr || error.message}`));
			else resolve(stdout);
		});
	});
}

function mainCf(lab: string, queueDir: string, dovecot: DovecotServer, domain: string): string {
	const recipients = Object.keys(dovecot.users).filter((user) => user.endsWith(`@${domain}`));
	fs.writeFileSync(path.join(lab, 'recipients'), recipients.map((user) => `${user} ok\n`).join(''));
	return `# written by test/mta/postfix.ts
compatibility_level = 3.6
config_directory = ${lab}/etc
meta_directory = /etc/postfix
queue_directory = ${queueDir}
data_directory = ${lab}/data
mail_owner = postfix
maillog_file = ${lab}/log/postfix.log
# Postfix writes its own log only under listed prefixes (there is no syslog here)
maillog_file_prefixes = ${lab}/log
inet_interfaces = ${HOST}
inet_protocols = ipv4
myhostname = mta.${domain}
mydomain = ${domain}
myorigin = ${domain}
mydestination =
mynetworks = ${HOST}/32
local_recipient_maps =
alias_maps =
alias_database =
# Only the test domain is delivered (into Dovecot over LMTP); nothing leaves the machine.
virtual_mailbox_domains = ${domain}
virtual_mailbox_maps = texthash:${lab}/recipients
virtual_transport = lmtp:unix:${dovecot.lmtpSocket}
default_transport = error:the test MTA delivers only to @${domain}
relay_transport = error:the test MTA delivers only to @${domain}
disable_dns_lookups = yes
smtp_dns_support_level = disabled
# Submission: authenticated senders only; the answer comes from Dovecot's passdb.
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${dovecot.authSocket}
smtpd_sasl_auth_enable = yes
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_tls_cert_file = ${dovecot.lab}/ssl/cert.pem
smtpd_tls_key_file = ${dovecot.lab}/ssl/key.pem
smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_tls_mandatory_protocols = >=TLSv1.2
# a failed AUTH answers at once; tests try wrong passwords on purpose
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
message_size_limit = 52428800
`;
}

function masterCf(submissionPort: number, smtpsPort: number, plainPort: number): string {
	// No chroot anywhere (column 5 = n): a throwaway instance has no chroot jail to populate.
	return `# written by test/mta/postfix.ts
${HOST}:${submissionPort} inet n - n - - smtpd
${HOST}:${smtpsPort} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
${HOST}:${plainPort} inet n - n - - smtpd
  -o smtpd_tls_security_level=none
  -o smtpd_tls_auth_only=no
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`;
}

/**
 * Starts a Postfix that delivers into `dovecot` (started with `mta: true`); its files live in
 * `<dovecot.lab>/postfix-<random>`, removed by stop() (and with the Dovecot lab).
 */
export async function startPostfix(
	dovecot: DovecotServer,
	options: StartPostfixOptions = {},
): Promise<PostfixServer> {
	ensurePostfixInstalled();
	if (!dovecot.lmtpSocket || !dovecot.authSocket)
		throw new Error('startPostfix needs a Dovecot started with { mta: true }');
	const domain = options.domain ?? 'mail.test';
	// several instances may deliver into one Dovecot: each has its own folder
	const lab = path.join(dovecot.lab, `postfix-${randomBytes(3).toString('hex')}`);
	for (const dir of ['etc', 'data', 'log'])
		fs.mkdirSync(path.join(lab, dir), { recursive: true, mode: 0o755 });
	// Postfix's daemons talk over unix sockets in queue/private (at most 108 bytes a path): a
	// deep checkout gets its queue in /tmp, as Dovecot's sockets do
	const queueDir =
		lab.length > 60
			? fs.mkdtempSync(path.join(os.tmpdir(), 'postfix-queue-'))
			: path.join(lab, 'queue');
	fs.mkdirSync(queueDir, { recursive: true, mode: 0o755 });
	fs.chmodSync(queueDir, 0o755);
	// data_directory holds Postfix's own caches and must belong to mail_owner
	await run('/bin/chown', ['postfix:postfix', path.join(lab, 'data')]);
	const submissionPort = await freePort([]);
	const smtpsPort = await freePort([submissionPort]);
	const plainPort = await freePort([submissionPort, smtpsPort]);
	const configDir = path.join(lab, 'etc');
	fs.writeFileSync(path.join(configDir, 'main.cf'), mainCf(lab, queueDir, dovecot, domain));
	fs.writeFileSync(
		path.join(configDir, 'master.cf'),
		masterCf(submissionPort, smtpsPort, plainPort),
	);
	const logFile = path.join(lab, 'log/postfix.log');
	const startLog = path.join(lab, 'log/start.log');
	const masterPidFile = path.join(queueDir, 'pid/master.pid');
	const fullLog = () =>
		[startLog, logFile]
			.map((file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''))
			.join('');
	const readLog = () => fullLog().split('\n').slice(-40).join('\n');

	const child = spawn(
		'/bin/sh',
		['-c', WATCHDOG, 'postfix-watchdog', POSTFIX, configDir, startLog, masterPidFile],
		{
			detached: true,
			stdio: ['pipe', 'ignore', 'ignore'],
		},
	);
	running.add(child);
	child.once('exit', () => running.delete(child));
	child.unref();
	(child.stdin as unknown as { unref?: () => void } | null)?.unref?.();

	let stopped = false;
	const server: PostfixServer = {
		host: HOST,
		submissionPort,
		smtpsPort,
		plainPort,
		domain,
		lab,
		queueDir,
		log: fullLog,
		async waitForEmptyQueue() {
			for (let attempt = 0; attempt < 600; attempt++) {
				const queue = await run(POSTQUEUE, ['-c', configDir, '-j']).catch(() => 'unknown');
				if (queue.trim() === '') return;
				await new Promise((resolve) => setTimeout(resolve, 50));
			}
			throw new Error(`the Postfix queue did not empty:\n${readLog()}`);
		},
		async stop() {
			if (stopped) return;
			stopped = true;
			killMaster(masterPidFile);
			if (child.exitCode === null && child.signalCode === null) {
				const exited = new Promise((resolve) => child.once('exit', resolve));
				killGroup(child);
				await exited;
			}
			child.stdin?.destroy();
			fs.rmSync(lab, { recursive: true, force: true });
			fs.rmSync(queueDir, { recursive: true, force: true });
		},
	};
	try {
		await waitForGreeting(submissionPort, child, readLog);
	} catch (error) {
		if (process.env.KEEP_POSTFIX_LAB) throw error;
		await server.stop();
		throw error;
	}
	return server;
}

/** Resolves once the submission port answers `220`. */
async function waitForGreeting(
	port: number,
	child: ChildProcess,
	readLog: () => string,
	attempts = 600,
): Promise<void> {
	for (let attempt = 0; attempt < attempts; attempt++) {
		if (child.exitCode !== null || child.signalCode !== null)
			throw new Error(`postfix exited before it was ready:\n${readLog()}`);
		const greeting = await new Promise<string | undefined>((resolve) => {
			const socket = net.connect({ host: HOST, port });
			let data = '';
			const done = (value: string | undefined) => {
				socket.destroy();
				resolve(value);
			};
			socket.setTimeout(1000, () => done(undefined));
			socket.on('data', (chunk) => {
				data += chunk.toString('latin1');
				if (data.includes('\r\n')) done(data);
			});
			socket.on('error', () => done(undefined));
		});
		if (greeting?.startsWith('220')) return;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	throw new Error(`Postfix did not greet on ${HOST}:${port}:\n${readLog()}`);
}
