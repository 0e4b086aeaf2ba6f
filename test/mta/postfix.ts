// A throwaway real Postfix 3.7 on loopback for the sending tests (README "Sending (SMTP)").
// It accepts authenticated submission only (SASL answered by the test Dovecot's auth socket, so
// a wrong password is refused by the same passwd-file IMAP uses) and delivers into that Dovecot
// over LMTP: what a user's client sees is real delivery, not a mock.
//
// Running it unprivileged and throwaway: its own config directory (main.cf + master.cf written
// here), queue and data directories under the Dovecot lab, no chroot (nothing to copy into the
// queue), mail_owner = the `postfix` user the Debian package creates (Postfix refuses root). The
// queue tree is created by `postfix start` (post-install create-missing) with the owners Postfix
// wants. The master runs in the foreground (`start-fg`) under the same watchdog as Dovecot
// (test/system/lab-server.ts): when this Node process dies, Postfix dies with it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { DovecotServer } from '../imap/dovecot';
import {
	LOOPBACK as HOST,
	freePorts,
	runFile,
	startWatched,
	waitForGreeting,
} from '../system/lab-server';
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

async function run(file: string, args: string[]): Promise<string> {
	return (await runFile(file, args)).stdout;
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
	const [submissionPort, smtpsPort, plainPort] = await freePorts(3);
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

	// Postfix's master calls setsid(): it leads a process group of its own (its pid, in
	// queue/pid/master.pid), which holds every Postfix daemon; the watchdog kills that one too.
	const master = startWatched('postfix', [POSTFIX, '-c', configDir, 'start-fg'], {
		outputFile: startLog,
		groupPidFile: masterPidFile,
	});

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
			await master.kill();
			fs.rmSync(lab, { recursive: true, force: true });
			fs.rmSync(queueDir, { recursive: true, force: true });
		},
	};
	try {
		await waitForGreeting({
			server: master,
			port: submissionPort,
			prefix: '220',
			what: 'Postfix',
			log: readLog,
			// ~5 s here; more when the machine's two cores are busy with other tests
			timeoutMs: 120_000,
		});
	} catch (error) {
		if (process.env.KEEP_POSTFIX_LAB) throw error;
		await server.stop();
		throw error;
	}
	return server;
}
