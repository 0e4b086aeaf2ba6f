import { isIP } from 'node:net';

import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';

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
 * Submits one ready RFC 5322 message. The cleartext check runs before the token is fetched
 * or a socket opened. Every failure is a MailIntelError (source 'smtp') naming the field.
 */
export async function submitMessage(
	settings: SmtpSettings,
	envelope: SmtpEnvelope,
	raw: Buffer,
	options: { fetch?: FetchLike } = {},
): Promise<SmtpDelivery> {
	assertLoginProtected(settings);
	let login: ImapLogin;
	try {
		login = await resolveLogin(settings.auth, options.fetch);
	} catch (error) {
		throw smtpError(error, settings);
	}
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
		throw smtpError(error, settings);
	} finally {
		transport.close();
	}
}
