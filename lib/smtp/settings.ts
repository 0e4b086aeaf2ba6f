import { MailIntelError } from '../errors';
import type { ImapAuth } from '../providers/imap/settings';

/**
 * How to reach and log in to the SMTP submission server of an account. The Email Intel IMAP
 * credential carries it next to the IMAP fields; login, token and certificate trust are the
 * IMAP side's unless the credential overrides them, so one account needs one credential.
 * `field` names in errors are the credential's field names.
 */
export type SmtpSecurity = 'starttls' | 'tls' | 'none';

export interface SmtpSettings {
	host: string;
	/** 587 for STARTTLS submission, 465 for implicit TLS. */
	port: number;
	/** STARTTLS is required (never opportunistic): a server that does not offer it is refused. */
	security: SmtpSecurity;
	/**
	 * With security `none` a password or token would cross the network in the clear: sending it
	 * needs this plainly named switch (the credential's "Allow Cleartext Password (Insecure)").
	 */
	allowCleartextLogin?: boolean;
	user: string;
	/** Same shapes as IMAP: a password, a Google token JSON or an access token (XOAUTH2). */
	auth: ImapAuth;
	caCertificate?: string;
	skipTlsVerification?: boolean;
	/** TCP connect budget; default 30 s. */
	connectTimeoutMs?: number;
	/** Time for the server's 220 greeting (and STARTTLS); default 30 s. */
	greetingTimeoutMs?: number;
	/** Idle time allowed on the socket during the session; default 5 min. */
	socketTimeoutMs?: number;
}

/** The credential's field labels, as errors name them. */
export const SMTP_FIELD_LABELS = {
	smtpHost: 'SMTP Host',
	smtpPort: 'SMTP Port',
	smtpSecurity: 'SMTP Security',
	smtpAllowCleartextLogin: 'Allow Cleartext Password (Insecure)',
	smtpUser: 'SMTP User',
	smtpPassword: 'SMTP Password',
} as const;

/**
 * Refuses, before any connection, to send a login over an unencrypted connection unless the
 * user said so in plain words: a password sent in the clear is readable by anyone on the path.
 */
export function assertLoginProtected(settings: SmtpSettings): void {
	if (settings.security !== 'none' || settings.allowCleartextLogin === true) return;
	throw new MailIntelError(
		`refusing to send the SMTP login for "${settings.user}" to ${settings.host}:${settings.port} without encryption (${SMTP_FIELD_LABELS.smtpSecurity} is None)`,
		{
			source: 'smtp',
			code: 'CLEARTEXT_LOGIN_REFUSED',
			field: 'smtpSecurity',
			hint: `Choose STARTTLS (port 587) or TLS (port 465) as ${SMTP_FIELD_LABELS.smtpSecurity} in the Email Intel IMAP credential. Only for a server on a trusted network: turn on "${SMTP_FIELD_LABELS.smtpAllowCleartextLogin}".`,
		},
	);
}

/** The credential field holding the SMTP secret for an auth method (named in auth errors). */
export function smtpSecretField(auth: ImapAuth): string {
	return auth.method === 'password' ? 'smtpPassword' : auth.method;
}
