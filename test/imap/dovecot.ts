// A throwaway real Dovecot 2.3 on loopback for tests (recipe: README "Tests against a real Dovecot").
// Each test file starts its own server: free ports picked at start, its own lab folder under
// test/.lab/ (gitignored), removed by stop(). Faults (kick, SIGKILL, UIDVALIDITY change,
// renumbering) are real server behaviour, not mocks.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
	LOOPBACK as HOST,
	freePorts,
	runFile as run,
	startWatched,
	waitForGreeting,
	type WatchedServer,
} from '../system/lab-server';
import { ensureDovecotInstalled as ensureInstalled } from './ensure-dovecot';
import { RawImap, encodeMailboxName, expandUidSet, imapDateTime, quote } from './raw-imap';

export interface DovecotServer {
	host: string;
	/** plain port, offers STARTTLS */
	port: number;
	/** implicit TLS port */
	tlsPort: number;
	certPem: string;
	lab: string;
	users: Record<string, string>;
	/** adds -c <conf> */
	doveadm(...args: string[]): Promise<string>;
	/** fast; returns assigned UIDs in the given order (creates the mailbox if missing) */
	seed(
		user: string,
		mailbox: string,
		messages: Array<Buffer | string>,
		options?: SeedOptions,
	): Promise<number[]>;
	/** uid -> flags, read back (for the "\\Seen never set" assertions); \Recent is left out */
	flags(user: string, mailbox: string): Promise<Map<number, string[]>>;
	kick(user: string): Promise<void>;
	/**
	 * Changes (or revokes, with a new secret) a user's password. Dovecot's passwd-file is
	 * re-read on the next login; sessions already logged in live on (kick() ends them).
	 */
	setPassword(user: string, password: string): void;
	/** SIGKILL the process group */
	kill(): Promise<void>;
	/** (re)start, same ports and data */
	start(): Promise<void>;
	setUidValidity(user: string, mailbox: string, value: number): Promise<void>;
	/** delete dovecot-uidlist + dovecot.index* → UIDs renumbered from 1 */
	renumber(user: string, mailbox: string): Promise<void>;
	/** kill + remove lab dir */
	stop(): Promise<void>;
	/** path of a mailbox's Maildir folder (INBOX = the Maildir root) */
	maildir(user: string, mailbox: string): string;
	/** the server's log so far (for failure messages) */
	log(): string;
	/**
	 * With `mta: true`: Dovecot's LMTP server (the unix socket an MTA delivers into) and its
	 * SASL auth socket (what Postfix's `smtpd_sasl_type = dovecot` asks), both mode 0666 so the
	 * unprivileged `postfix` user can connect. Undefined otherwise.
	 */
	lmtpSocket?: string;
	authSocket?: string;
}

export interface SeedOptions {
	/** one per message: the INTERNALDATE the server stores */
	internalDates?: Date[];
	/** one list per message, e.g. [['\\Seen'], [], ['$Phishing']] */
	flags?: string[][];
}

export interface StartOptions {
	users?: Record<string, string>;
	/**
	 * Also offer OAuth2 login: Dovecot's oauth2 passdb checks each bearer token by POSTing
	 * `token=...` to the RFC 7662 introspection endpoint and accepts the login when the answer
	 * is `"active": true` with the login's `username` (as against a real identity provider).
	 */
	oauth2?: {
		introspectionUrl: string;
		/** SASL mechanisms to offer (Gmail offers both, Microsoft 365 only XOAUTH2); default both */
		mechanisms?: Array<'xoauth2' | 'oauthbearer'>;
	};
	/**
	 * Capabilities to take away after login, e.g. `['UIDPLUS']` to play an old server. Dovecot's
	 * `imap_capability` replaces its list: the server is started once to read its own list, then
	 * restarted with that list minus these (the server keeps the commands; clients that follow
	 * the advertised list, as imapflow does, no longer use them).
	 */
	withoutCapabilities?: string[];
	/**
	 * Also be the delivery end of a real MTA (test/mta/postfix.ts): the lmtp protocol on a unix
	 * socket, and an auth socket for the MTA's SMTP AUTH. Users are then full addresses
	 * (`alice@mail.test`), since LMTP looks recipients up by address. Off by default.
	 */
	mta?: boolean;
	/** Extra IMAP capabilities to announce, e.g. `X-GM-EXT-1` to look like Gmail (Dovecot's `imap_capability = +...`). */
	extraCapabilities?: string[];
	/** Fixed loopback ports (plain, implicit TLS) instead of free ones: the demo's known addresses. */
	ports?: { port: number; tlsPort: number };
}

const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';
const DOVECOT_LMTP = '/usr/lib/dovecot/lmtp';
const MAIL_UID = 5000;
const LAB_ROOT = path.resolve(__dirname, '..', '.lab');
/** One MULTIAPPEND command carries at most this much (Dovecot has no limit; this bounds memory). */
const CHUNK_BYTES = 16 * 1024 * 1024;
const CHUNK_MESSAGES = 5000;

/** Installs via apt-get when root and missing; otherwise throws with the install command. */
export function ensureDovecotInstalled(): void {
	ensureInstalled();
}

function config(
	lab: string,
	baseDir: string,
	port: number,
	tlsPort: number,
	oauth2Mechanisms: string,
	options: Pick<StartOptions, 'mta' | 'extraCapabilities'> & {
		/** The whole list to announce (withoutCapabilities: the server's own minus those). */
		imapCapability?: string;
	},
): string {
	const { mta = false, extraCapabilities = [], imapCapability } = options;
	// One imap_capability line: the whole list when given, else the defaults plus the extras.
	const capability = imapCapability
		? `imap_capability = ${imapCapability}\n`
		: extraCapabilities.length
			? `imap_capability = +${extraCapabilities.join(' ')}\n`
			: '';
	return `instance_name = test-${port}
${capability}
base_dir = ${baseDir}
state_dir = ${lab}/state
protocols = imap${mta ? ' lmtp' : ''}
listen = ${HOST}
log_path = ${lab}/log/dovecot.log
ssl = yes
ssl_cert = <${lab}/ssl/cert.pem
ssl_key = <${lab}/ssl/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login${oauth2Mechanisms ? ` ${oauth2Mechanisms}` : ''}
# a failed login answers at once (default 2 s); tests try wrong passwords on purpose
auth_failure_delay = 0
${
	oauth2Mechanisms
		? `passdb {
  driver = oauth2
  mechanisms = ${oauth2Mechanisms}
  args = ${lab}/oauth2.conf.ext
}
`
		: ''
}passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${lab}/users
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_UID} home=${lab}/mail/%u
}
first_valid_uid = 1000
first_valid_gid = 1000
mail_location = maildir:~/Maildir
mail_fsync = never
maildir_very_dirty_syncs = yes
mail_max_userip_connections = 50
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}
# Tests log in with wrong passwords on purpose; without this every later login from
# 127.0.0.1 waits 2-15 s (anvil auth penalty). Mode 0 is Dovecot's documented off switch.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    address = ${HOST}
    port = ${port}
  }
  inet_listener imaps {
    address = ${HOST}
    port = ${tlsPort}
    ssl = yes
  }
}
${mta ? MTA_SERVICES : ''}`;
}

/** The sockets an MTA needs (StartOptions.mta); relative names live in base_dir. */
const LMTP_SOCKET = 'lmtp-mta';
const AUTH_SOCKET = 'auth-mta';
const MTA_SERVICES = `# Postfix (user postfix) delivers over LMTP and asks SMTP AUTH questions on these sockets.
service lmtp {
  unix_listener ${LMTP_SOCKET} {
    mode = 0666
  }
}
service auth {
  unix_listener ${AUTH_SOCKET} {
    mode = 0666
  }
}
# An LMTP recipient is the full address, the same string as the IMAP login of the test users.
lmtp_save_to_detail_mailbox = no
`;

function readLog(file: string): string {
	try {
		return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
	} catch {
		return '(no log)';
	}
}

/** Own lab dir under test/.lab/<random>, free ports, self-signed cert; default user alice/alicepass. */
export async function startDovecot(options: StartOptions = {}): Promise<DovecotServer> {
	ensureDovecotInstalled();
	// The lmtp service is its own Debian package (dovecot-lmtpd), installed with Postfix by
	// test/mta/ensure-postfix.js (Jest's global setup, .ci/run). Not imported here: the
	// benchmarks' build copies only test/imap's plain-JS helpers.
	if (options.mta && !fs.existsSync(DOVECOT_LMTP))
		throw new Error(
			`${DOVECOT_LMTP} is missing: run \`node test/mta/ensure-postfix.js\` (as root) to install postfix and dovecot-lmtpd`,
		);
	const users = options.users ?? { alice: 'alicepass' };
	fs.mkdirSync(LAB_ROOT, { recursive: true, mode: 0o755 });
	fs.chmodSync(LAB_ROOT, 0o755);
	const lab = path.join(LAB_ROOT, randomBytes(4).toString('hex'));
	fs.mkdirSync(lab, { mode: 0o755 });
	fs.chmodSync(lab, 0o755);
	// Unix socket paths are limited to 108 bytes; a deep checkout gets its sockets in /tmp.
	const baseDir =
		lab.length > 60 ? fs.mkdtempSync(path.join(os.tmpdir(), 'dovecot-')) : path.join(lab, 'run');
	for (const dir of ['state', 'log', 'ssl', 'mail', baseDir])
		fs.mkdirSync(path.resolve(lab, dir), { recursive: true, mode: 0o755 });
	const mailRoot = path.join(lab, 'mail');
	fs.chownSync(mailRoot, MAIL_UID, MAIL_UID);
	for (const user of Object.keys(users)) {
		if (!/^[A-Za-z0-9._@+-]+$/.test(user))
			throw new Error(`test user name ${JSON.stringify(user)}: use letters, digits and ._@+-`);
	}
	const usersFile = path.join(lab, 'users');
	const writeUsers = () =>
		fs.writeFileSync(
			usersFile,
			Object.entries(users)
				.map(([user, password]) => `${user}:{PLAIN}${password}\n`)
				.join(''),
			{ mode: 0o644 },
		);
	writeUsers();
	await run('openssl', [
		'req',
		'-x509',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:prime256v1',
		'-nodes',
		'-days',
		'7',
		'-subj',
		'/CN=localhost',
		'-addext',
		'subjectAltName=DNS:localhost,IP:127.0.0.1',
		'-keyout',
		path.join(lab, 'ssl/key.pem'),
		'-out',
		path.join(lab, 'ssl/cert.pem'),
	]);
	const certPem = fs.readFileSync(path.join(lab, 'ssl/cert.pem'), 'utf8');
	const [port, tlsPort] = options.ports
		? [options.ports.port, options.ports.tlsPort]
		: await freePorts(2);
	const confFile = path.join(lab, 'dovecot.conf');
	if (options.oauth2) {
		fs.writeFileSync(
			path.join(lab, 'oauth2.conf.ext'),
			[
				'introspection_mode = post',
				`introspection_url = ${options.oauth2.introspectionUrl}`,
				'username_attribute = username',
				'active_attribute = active',
				'active_value = true',
				'',
			].join('\n'),
			{ mode: 0o644 },
		);
	}
	fs.writeFileSync(
		confFile,
		config(
			lab,
			baseDir,
			port,
			tlsPort,
			options.oauth2 ? (options.oauth2.mechanisms ?? ['xoauth2', 'oauthbearer']).join(' ') : '',
			options,
		),
	);
	const logFile = path.join(lab, 'log/dovecot.log');

	let master: WatchedServer | undefined;
	let stopped = false;

	const doveadm = async (...args: string[]) =>
		(await run(DOVEADM, ['-c', confFile, ...args])).stdout;

	const maildir = (user: string, mailbox: string) => {
		const root = path.join(mailRoot, user, 'Maildir');
		if (mailbox.toUpperCase() === 'INBOX') return root;
		// Maildir++ layout: "a/b" is stored as ".a.b", names in modified UTF-7.
		return path.join(root, `.${encodeMailboxName(mailbox).split('/').join('.')}`);
	};

	const withSession = async <T>(user: string, work: (imap: RawImap) => Promise<T>): Promise<T> => {
		const password = users[user];
		if (password === undefined)
			throw new Error(`no test user ${user} (users: ${Object.keys(users).join(', ')})`);
		const imap = await RawImap.connect(HOST, port);
		try {
			try {
				await imap.login(user, password);
			} catch (error) {
				// Dovecot looks at a changed passwd-file at most once a second: a login with a
				// password set by setPassword() a moment ago can still meet the old one. Once more,
				// after that second, on a new connection.
				if (Date.now() - (passwordSetAt.get(user) ?? 0) > 3000) throw error;
				await new Promise((resolve) => setTimeout(resolve, 1100));
				imap.destroy();
				return await withSession(user, work);
			}
			return await work(imap);
		} finally {
			await imap.logout().catch(() => imap.destroy());
		}
	};
	/** When setPassword() last changed each user's password (ms since epoch). */
	const passwordSetAt = new Map<string, number>();

	const server: DovecotServer = {
		host: HOST,
		port,
		tlsPort,
		certPem,
		lab,
		users,
		doveadm,
		maildir,
		log: () => readLog(logFile),
		...(options.mta
			? {
					lmtpSocket: path.join(baseDir, LMTP_SOCKET),
					authSocket: path.join(baseDir, AUTH_SOCKET),
				}
			: {}),

		async start() {
			if (stopped) throw new Error('this Dovecot was stopped; start a new one with startDovecot()');
			if (master && !master.exited()) return;
			fs.rmSync(path.join(baseDir, 'master.pid'), { force: true });
			// The master in the foreground of a process group of its own, so one SIGKILL to the
			// group ends it and every imap/login/auth child (SIGTERM to the master leaves sessions
			// running); the group also dies with this Node process (test/system/lab-server.ts).
			const started = startWatched('dovecot', [DOVECOT, '-F', '-c', confFile]);
			master = started;
			await waitForGreeting({
				server: started,
				port,
				prefix: '* OK',
				what: 'Dovecot',
				log: () => readLog(logFile),
				timeoutMs: 15_000,
			});
		},

		async kill() {
			const current = master;
			master = undefined;
			if (!current || current.exited()) return;
			await current.kill();
			// The children are SIGKILLed too but may take a moment to be reaped by init.
			await waitUntilPortClosed(port);
		},

		async stop() {
			if (stopped) return;
			await server.kill();
			stopped = true;
			fs.rmSync(lab, { recursive: true, force: true });
			if (baseDir !== path.join(lab, 'run')) fs.rmSync(baseDir, { recursive: true, force: true });
		},

		async seed(user, mailbox, messages, seedOptions = {}) {
			const { internalDates, flags } = seedOptions;
			if (internalDates && internalDates.length !== messages.length)
				throw new Error('seed: internalDates must have one date per message');
			if (flags && flags.length !== messages.length)
				throw new Error('seed: flags must have one list per message');
			if (messages.length === 0) return [];
			return withSession(user, async (imap) => {
				const name = quote(encodeMailboxName(mailbox));
				if (mailbox.toUpperCase() !== 'INBOX') {
					const created = await imap.command([`CREATE ${name}\r\n`]);
					if (created.status !== 'OK' && !/ALREADYEXISTS|already exists/i.test(created.text)) {
						throw new Error(`seed: CREATE ${mailbox} failed: ${created.text}`);
					}
				}
				const uids: number[] = [];
				let index = 0;
				while (index < messages.length) {
					const parts: Array<string | Buffer> = [`APPEND ${name}`];
					let bytes = 0;
					const first = index;
					while (
						index < messages.length &&
						(index === first || (bytes < CHUNK_BYTES && index - first < CHUNK_MESSAGES))
					) {
						const raw = messages[index];
						const body = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
						const flagList = flags?.[index] ?? [];
						const date = internalDates?.[index];
						parts.push(
							` (${flagList.join(' ')})${date ? ` "${imapDateTime(date)}"` : ''} {${body.length}+}\r\n`,
							body,
						);
						bytes += body.length;
						index++;
					}
					parts.push('\r\n');
					const result = await imap.ok(parts);
					const appendUid = /\[APPENDUID \d+ ([\d:,]+)\]/.exec(result.text);
					if (!appendUid) throw new Error(`seed: no APPENDUID in "${result.text}"`);
					const chunkUids = expandUidSet(appendUid[1]);
					if (chunkUids.length !== index - first) {
						throw new Error(
							`seed: appended ${index - first} messages but APPENDUID lists ${chunkUids.length}`,
						);
					}
					uids.push(...chunkUids);
				}
				return uids;
			});
		},

		async flags(user, mailbox) {
			return withSession(user, async (imap) => {
				// EXAMINE is read-only: reading flags must not change them.
				await imap.ok([`EXAMINE ${quote(encodeMailboxName(mailbox))}\r\n`]);
				const result = await imap.ok(['UID FETCH 1:* (UID FLAGS)\r\n']);
				const map = new Map<number, string[]>();
				for (const line of result.untagged) {
					const uid = /\bUID (\d+)/.exec(line);
					const flagList = /\bFLAGS \(([^)]*)\)/.exec(line);
					if (!uid || !flagList) continue;
					map.set(
						Number(uid[1]),
						flagList[1].split(' ').filter((flag) => flag !== '' && flag !== '\\Recent'),
					);
				}
				return new Map([...map.entries()].sort((a, b) => a[0] - b[0]));
			});
		},

		async kick(user) {
			await doveadm('kick', user);
		},

		setPassword(user, password) {
			if (users[user] === undefined)
				throw new Error(`no test user ${user} (users: ${Object.keys(users).join(', ')})`);
			if (/[:\r\n]/.test(password)) throw new Error('setPassword: no ":" or line breaks');
			const before = fs.statSync(usersFile).mtimeMs;
			users[user] = password;
			passwordSetAt.set(user, Date.now());
			writeUsers();
			// Dovecot notices a changed passwd-file by its mtime (whole seconds) and size: two
			// changes within one second to a password of the same length would go unseen.
			const after = Math.max(Date.now(), Math.floor(before / 1000) * 1000 + 1000);
			fs.utimesSync(usersFile, new Date(after), new Date(after));
		},

		async setUidValidity(user, mailbox, value) {
			await doveadm('mailbox', 'update', '-u', user, '--uid-validity', String(value), mailbox);
		},

		async renumber(user, mailbox) {
			const dir = maildir(user, mailbox);
			if (!fs.existsSync(dir))
				throw new Error(`renumber: no mailbox ${mailbox} for ${user} (${dir})`);
			for (const file of fs.readdirSync(dir)) {
				if (file === 'dovecot-uidlist' || file.startsWith('dovecot.index'))
					fs.rmSync(path.join(dir, file), { force: true });
			}
		},
	};

	try {
		await server.start();
		if (options.withoutCapabilities?.length) {
			const removed = new Set(options.withoutCapabilities.map((name) => name.toUpperCase()));
			const own = await withSession(Object.keys(users)[0], async (imap) => {
				const answer = await imap.ok(['CAPABILITY\r\n']);
				const line = answer.untagged.find((entry) => /^\* CAPABILITY /i.test(entry)) ?? '';
				return line
					.replace(/^\* CAPABILITY /i, '')
					.trim()
					.split(/\s+/);
			});
			const kept = own.filter((name) => !removed.has(name.toUpperCase()));
			fs.writeFileSync(
				confFile,
				config(
					lab,
					baseDir,
					port,
					tlsPort,
					options.oauth2 ? (options.oauth2.mechanisms ?? ['xoauth2', 'oauthbearer']).join(' ') : '',
					{ ...options, imapCapability: kept.join(' ') },
				),
			);
			await server.kill();
			await server.start();
		}
	} catch (error) {
		await server.stop().catch(() => undefined);
		throw error;
	}
	return server;
}

async function waitUntilPortClosed(port: number, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const open = await new Promise<boolean>((resolve) => {
			const socket = net.connect({ host: HOST, port });
			socket.once('connect', () => {
				socket.destroy();
				resolve(true);
			});
			socket.once('error', () => resolve(false));
		});
		if (!open) return;
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}
