import { MailIntelError, errorMessage } from '../../errors';
import { CA_CERTIFICATE_LABEL, secretField, type ImapSettings } from './settings';

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
	/** imapflow's mark on a SELECT/EXAMINE the server refused with "Mailbox doesn't exist". */
	mailboxMissing?: boolean;
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
		const ownCa = Boolean(settings.caCertificate);
		return new MailIntelError(
			ownCa
				? `the IMAP server at ${where} presented a certificate that the CA in "${CA_CERTIFICATE_LABEL}" did not sign (${code})`
				: `the IMAP server at ${where} presented a certificate no trusted CA signed (${code})`,
			{
				source: 'imap',
				code: 'TLS_UNTRUSTED',
				field: 'caCertificate',
				hint: ownCa
					? `Paste the certificate of the CA that issued this server's certificate (or the server's own self-signed certificate) into "${CA_CERTIFICATE_LABEL}" of the Email Intel IMAP credential.`
					: `If the server uses a private CA or a self-signed certificate, paste that certificate (PEM) into "${CA_CERTIFICATE_LABEL}" of the Email Intel IMAP credential: the connection stays fully verified. "Skip TLS Verification (Insecure)" turns every check off; use it only for a throwaway lab server.`,
				cause,
			},
		);
	}
	if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'ERR_TLS_CERT_ALTNAME_FORMAT') {
		return new MailIntelError(
			`the certificate of the IMAP server at ${where} is not for "${settings.host}" (${code})`,
			{
				source: 'imap',
				code: 'TLS_HOSTNAME',
				field: 'host',
				hint: "Set Host in the Email Intel IMAP credential to a name the server's certificate lists (its subject alternative names).",
				cause,
			},
		);
	}
	if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
		return new MailIntelError(
			`the certificate of the IMAP server at ${where} is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'} (${code})`,
			{
				source: 'imap',
				code: 'TLS_EXPIRED',
				hint: "The server's administrator must renew its certificate (or fix the server's clock). n8n's clock matters too: check it.",
				cause,
			},
		);
	}
	if (code.startsWith('ERR_SSL_')) {
		return new MailIntelError(
			`TLS with the IMAP server at ${where} failed: ${errorMessage(error)}`,
			{
				source: 'imap',
				code: 'TLS',
				field: 'security',
				hint: 'The port does not speak the chosen Security mode: use TLS on 993, STARTTLS or None on 143.',
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
		e.mailboxMissing === true ||
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
