import { MailIntelError, errorMessage } from '../errors';
import { SMTP_FIELD_LABELS, smtpSecretField, type SmtpSettings } from './settings';

/** nodemailer's error shape: `code` is its own (EAUTH, ETLS, ...), `originalCode` the socket's. */
interface NodemailerLikeError {
	code?: string;
	originalCode?: string;
	responseCode?: number;
	response?: string;
	command?: string;
	rejected?: string[];
}

/** Node's certificate-chain codes that mean "no trusted CA signed this". */
const UNTRUSTED_CERT_CODES = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'UNABLE_TO_GET_ISSUER_CERT',
	'CERT_UNTRUSTED',
	'CERT_HAS_EXPIRED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Turns what nodemailer or the socket threw into a MailIntelError (source 'smtp') naming the
 * credential field to fix. Classified by codes, never by message text.
 */
export function smtpError(error: unknown, settings: SmtpSettings): MailIntelError {
	if (error instanceof MailIntelError) return error;
	const e = (error ?? {}) as NodemailerLikeError;
	const code = e.code ?? '';
	const socketCode = e.originalCode ?? '';
	const where = `${settings.host}:${settings.port}`;
	const base = { source: 'smtp' as const, cause: error };
	const server = e.response ? `: ${e.response}` : '';

	if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'EOAUTH2') {
		const secret = smtpSecretField(settings.auth);
		const label =
			secret === 'smtpPassword'
				? `${SMTP_FIELD_LABELS.smtpUser} and ${SMTP_FIELD_LABELS.smtpPassword}`
				: `${SMTP_FIELD_LABELS.smtpUser} and the ${secret === 'accessToken' ? 'Access Token' : 'Google Token JSON'}`;
		return new MailIntelError(
			`the SMTP server at ${where} rejected the login for "${settings.user}"${server}`,
			{
				...base,
				code: 'AUTH_FAILED',
				status: e.responseCode,
				field: secret,
				hint: `Check ${label} in the Email Intel IMAP credential (empty SMTP fields use the IMAP User and Password).`,
			},
		);
	}
	if (UNTRUSTED_CERT_CODES.has(socketCode)) {
		return new MailIntelError(
			`the SMTP server at ${where} presented a certificate that is not trusted (${socketCode})`,
			{
				...base,
				code: 'TLS_UNTRUSTED',
				field: 'caCertificate',
				hint: 'Paste the CA that issued the server certificate into "CA Certificate (PEM)" of the Email Intel IMAP credential (it serves IMAP and SMTP), and check that SMTP Host is a name the certificate lists.',
			},
		);
	}
	if (
		code === 'ETLS' ||
		socketCode.startsWith('ERR_SSL_') ||
		(/EHLO|STARTTLS/.test(e.command ?? '') && code === 'ECONNECTION')
	) {
		return new MailIntelError(
			`TLS with the SMTP server at ${where} failed: ${errorMessage(error)}`,
			{
				...base,
				code: 'TLS',
				field: 'smtpSecurity',
				hint: `The port does not speak the chosen ${SMTP_FIELD_LABELS.smtpSecurity}: STARTTLS on 587, TLS on 465.`,
			},
		);
	}
	if (
		socketCode === 'ECONNREFUSED' ||
		socketCode === 'EHOSTUNREACH' ||
		socketCode === 'ENOTFOUND' ||
		socketCode === 'EAI_AGAIN'
	) {
		return new MailIntelError(`the SMTP server at ${where} could not be reached (${socketCode})`, {
			...base,
			code: socketCode === 'ECONNREFUSED' ? 'REFUSED' : 'DNS',
			field: socketCode === 'ECONNREFUSED' ? 'smtpPort' : 'smtpHost',
			retryable: socketCode !== 'ENOTFOUND',
			hint: `Check ${SMTP_FIELD_LABELS.smtpHost} and ${SMTP_FIELD_LABELS.smtpPort} in the Email Intel IMAP credential.`,
		});
	}
	if (code === 'ETIMEDOUT' || code === 'ECONNECTION' || code === 'ESOCKET') {
		return new MailIntelError(
			`the SMTP connection to ${where} failed (${socketCode || code})${server}`,
			{
				...base,
				code: 'CONNECTION_LOST',
				retryable: true,
			},
		);
	}
	if (code === 'EENVELOPE') {
		return new MailIntelError(
			`the SMTP server at ${where} refused the recipients or sender${server}`,
			{
				...base,
				code: 'ENVELOPE_REJECTED',
				status: e.responseCode,
				field: 'to',
				hint: 'Check the To, Cc, Bcc and From addresses (the server may also refuse a From the login may not use).',
			},
		);
	}
	return new MailIntelError(`SMTP error from ${where}: ${errorMessage(error)}`, {
		...base,
		code: code || 'SMTP_ERROR',
		status: e.responseCode,
		// 4xx replies are temporary by SMTP's own definition (RFC 5321 §4.2.1)
		retryable: e.responseCode !== undefined && e.responseCode >= 400 && e.responseCode < 500,
	});
}
