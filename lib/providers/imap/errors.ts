import { MailIntelError, errorMessage } from '../../errors';
import { secretField, type ImapSettings } from './settings';

/** Node's certificate-chain codes that mean "no trusted CA signed this" (self-signed lab servers). */
const UNTRUSTED_CERT_CODES = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'UNABLE_TO_GET_ISSUER_CERT',
	'CERT_UNTRUSTED',
]);

/** Connection-level failures worth another poll; the cursor is unchanged, so nothing is lost. */
const TRANSIENT_CODES = new Set([
	'ECONNRESET',
	'EPIPE',
	'ETIMEDOUT',
	'ETIMEOUT',
	'CONNECT_TIMEOUT',
	'GREETING_TIMEOUT',
	'UPGRADE_TIMEOUT',
	'NoConnection',
	'EConnectionClosed',
	'ClosedAfterConnectText',
	'ClosedAfterConnectTLS',
	'StateLogout',
]);

interface ImapFlowLikeError {
	code?: string;
	authenticationFailed?: boolean;
	serverResponseCode?: string;
	responseText?: string;
	reason?: string;
}

/**
 * Turns whatever imapflow, Node's socket/TLS layer or the server threw into a MailIntelError
 * that names the credential field (or node parameter) to fix. Classification is by error
 * code and imapflow's flags, never by message substrings.
 */
export function imapError(
	error: unknown,
	settings: ImapSettings,
	mailbox?: string,
): MailIntelError {
	if (error instanceof MailIntelError) return error;
	const e = (error ?? {}) as ImapFlowLikeError;
	const code = e.code ?? '';
	const where = `${settings.host}:${settings.port}`;
	const cause = error;

	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
		return new MailIntelError(`IMAP host "${settings.host}" could not be resolved (DNS ${code})`, {
			source: 'imap',
			code: 'DNS',
			field: 'host',
			retryable: code === 'EAI_AGAIN',
			hint: 'Check the Host field of the Email Intel IMAP credential.',
			cause,
		});
	}
	if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
		return new MailIntelError(`connection to the IMAP server at ${where} was refused (${code})`, {
			source: 'imap',
			code: 'REFUSED',
			field: 'port',
			retryable: true,
			hint: 'Check Host and Port (993 for TLS, 143 for STARTTLS/none) and that the server is running.',
			cause,
		});
	}
	if (UNTRUSTED_CERT_CODES.has(code)) {
		return new MailIntelError(
			`the IMAP server at ${where} presented a certificate no trusted CA signed (${code})`,
			{
				source: 'imap',
				code: 'TLS_SELF_SIGNED',
				field: 'allowSelfSigned',
				hint: 'If you trust this server (e.g. a self-signed lab server), turn on "Allow Self-Signed Certificates" in the Email Intel IMAP credential.',
				cause,
			},
		);
	}
	if (
		code === 'ERR_TLS_CERT_ALTNAME_INVALID' ||
		code === 'CERT_HAS_EXPIRED' ||
		code.startsWith('ERR_SSL_') ||
		code === 'ERR_TLS_CERT_ALTNAME_FORMAT'
	) {
		return new MailIntelError(
			`TLS with the IMAP server at ${where} failed: ${errorMessage(error)}`,
			{
				source: 'imap',
				code: 'TLS',
				field: code.startsWith('ERR_SSL_') ? 'security' : 'host',
				hint: code.startsWith('ERR_SSL_')
					? 'The port does not speak the chosen Security mode: use TLS on 993, STARTTLS or None on 143.'
					: 'The certificate does not match the host name or has expired; use the host name on the certificate, or turn on "Allow Self-Signed Certificates" for a lab server.',
				cause,
			},
		);
	}
	if (e.authenticationFailed) {
		const secret = secretField(settings.auth);
		const label =
			secret === 'password'
				? 'Password'
				: secret === 'googleTokenJson'
					? 'Google Token JSON'
					: 'Access Token';
		return new MailIntelError(
			`the IMAP server rejected the login for "${settings.user}"${e.responseText ? `: ${e.responseText}` : ''}`,
			{
				source: 'imap',
				code: 'AUTH_FAILED',
				field: secret,
				hint: `Check the User and ${label} fields of the Email Intel IMAP credential.`,
				cause,
			},
		);
	}
	if (
		code === 'NotFound' ||
		e.serverResponseCode === 'NONEXISTENT' ||
		(mailbox && e.serverResponseCode === 'TRYCREATE')
	) {
		return new MailIntelError(`mailbox "${mailbox ?? '?'}" does not exist on ${where}`, {
			source: 'imap',
			code: 'MAILBOX_NOT_FOUND',
			field: 'mailboxes',
			hint: 'Check the Mailboxes parameter (names are case-sensitive except INBOX; the separator is the server\'s, often "/" or ".").',
			cause,
		});
	}
	if (TRANSIENT_CODES.has(code)) {
		return new MailIntelError(
			`the IMAP connection to ${where} was lost (${code}); the next poll retries from the same place`,
			{
				source: 'imap',
				code: 'CONNECTION_LOST',
				retryable: true,
				cause,
			},
		);
	}
	return new MailIntelError(
		`IMAP error from ${where}${mailbox ? ` (mailbox "${mailbox}")` : ''}: ${e.responseText ?? errorMessage(error)}`,
		{
			source: 'imap',
			code: code || e.serverResponseCode || 'IMAP_ERROR',
			retryable: false,
			cause,
		},
	);
}
