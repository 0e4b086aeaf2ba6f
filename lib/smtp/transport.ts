import { isIP } from 'node:net';
import type { Readable } from 'node:stream';

import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';

import { MailIntelError } from '../errors';
import { resolveLogin, type FetchLike, type ImapLogin } from '../providers/imap/auth';
import { tlsTrust } from '../providers/imap/connect';
import { smtpError } from './errors';
import { assertLoginProtected, type SmtpSettings } from './settings';

export interface SmtpEnvelope {
	from: string;
	to: string[];
}

export interface SmtpDelivery {
	/** The server's last reply (`250 2.0.0 Ok: queued as ...`). */
	response: string;
	accepted: string[];
	rejected: string[];
}

/** nodemailer's SMTP options from our settings: TLS mode, certificate trust, timeouts, login. */
export function smtpTransportOptions(
	settings: SmtpSettings,
	login: ImapLogin,
): SMTPTransport.Options {
	return {
		host: settings.host,
		port: settings.port,
		// implicit TLS; STARTTLS is required (a server without it is refused), never opportunistic
		secure: settings.security === 'tls',
		requireTLS: settings.security === 'starttls',
		ignoreTLS: settings.security === 'none',
		// the same trust as the IMAP side: system CAs, the credential's CA, or the insecure switch
		tls: {
			...tlsTrust(settings),
			...(isIP(settings.host) ? {} : { servername: settings.host }),
		},
		auth:
			'pass' in login
				? { type: 'login', user: settings.user, pass: login.pass }
				: { type: 'OAuth2', user: settings.user, accessToken: login.accessToken },
		connectionTimeout: settings.connectTimeoutMs ?? 30_000,
		greetingTimeout: settings.greetingTimeoutMs ?? 30_000,
		socketTimeout: settings.socketTimeoutMs ?? 5 * 60_000,
		// one message per call: no pool that would outlive the execution
		pool: false,
		logger: false,
		debug: false,
	};
}

/**
 * Submits one RFC 5322 message, in memory or streamed while it is written. The cleartext check
 * runs before the token is fetched or a socket opened. Every failure is a MailIntelError
 * (source 'smtp') naming the field; a failure of the message stream itself (size cap, an
 * attachment that cannot be read) is passed on as it is.
 */
export async function submitMessage(
	settings: SmtpSettings,
	envelope: SmtpEnvelope,
	raw: Buffer | Readable,
	options: { fetch?: FetchLike } = {},
): Promise<SmtpDelivery> {
	assertLoginProtected(settings);
	let login: ImapLogin;
	try {
		login = await resolveLogin(settings.auth, options.fetch);
	} catch (error) {
		throw smtpError(error, settings);
	}
	// nodemailer re-labels a stream's error in place (its code becomes ESTREAM): keep a copy of
	// ours, taken before nodemailer's own listener (registered later) sees it
	let streamFailure: MailIntelError | undefined;
	if (!Buffer.isBuffer(raw))
		raw.once('error', (error) => {
			if (error instanceof MailIntelError)
				streamFailure = new MailIntelError(error.message, {
					source: error.source,
					code: error.code,
					field: error.field,
					hint: error.hint,
					retryable: error.retryable,
					cause: error.cause,
				});
		});
	const transport = createTransport(smtpTransportOptions(settings, login));
	try {
		const info = await transport.sendMail({
			envelope: { from: envelope.from, to: envelope.to },
			raw,
		});
		return {
			response: String(info.response ?? ''),
			accepted: (info.accepted ?? []).map(String),
			rejected: (info.rejected ?? []).map(String),
		};
	} catch (error) {
		throw streamFailure ?? smtpError(error, settings);
	} finally {
		transport.close();
	}
}
