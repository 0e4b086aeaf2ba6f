import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { MailIntelError } from '../../lib/errors';
import type { ImapSettings } from '../../lib/providers/imap/settings';
import type { SmtpSettings } from '../../lib/smtp/settings';

/**
 * The Email Intel IMAP credential's SMTP fields as settings. What the SMTP side leaves empty is
 * the IMAP side's (user, password); a token method logs in with the same token, and certificate
 * trust is shared. Credentials saved before the SMTP fields get the defaults and an error naming
 * SMTP Host when they are asked to send.
 */
export function smtpSettingsFrom(
	credentials: ICredentialDataDecryptedObject,
	imap: ImapSettings,
): SmtpSettings {
	const host = String(credentials.smtpHost ?? '').trim();
	if (!host)
		throw new MailIntelError('the SMTP host of the Email Intel IMAP credential is empty', {
			source: 'config',
			code: 'SMTP_NOT_CONFIGURED',
			field: 'smtpHost',
			hint: 'Fill in SMTP Host (and SMTP Port / SMTP Security) in the Email Intel IMAP credential to send mail.',
		});
	const security = String(credentials.smtpSecurity ?? 'starttls');
	const smtpUser = String(credentials.smtpUser ?? '').trim();
	const smtpPassword = String(credentials.smtpPassword ?? '');
	return {
		host,
		port: Number(credentials.smtpPort ?? 587) || 587,
		security: security === 'tls' || security === 'none' ? security : 'starttls',
		allowCleartextLogin: credentials.smtpAllowCleartextLogin === true,
		user: smtpUser || imap.user,
		auth:
			imap.auth.method === 'password' && smtpPassword
				? { method: 'password', password: smtpPassword }
				: imap.auth,
		...(imap.caCertificate ? { caCertificate: imap.caCertificate } : {}),
		...(imap.skipTlsVerification ? { skipTlsVerification: true } : {}),
	};
}
