import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { MailIntelError } from '../../lib/errors';
import type { ImapSettings } from '../../lib/providers/imap';
import { readCaCertificate } from '../../lib/providers/imap/settings';

/** The credential's fields as connection settings. */
export function imapSettingsFrom(credentials: ICredentialDataDecryptedObject): ImapSettings {
	const method = String(credentials.authMethod ?? 'password');
	const auth: ImapSettings['auth'] =
		method === 'googleTokenJson'
			? { method: 'googleTokenJson', googleTokenJson: String(credentials.googleTokenJson ?? '') }
			: method === 'accessToken'
				? { method: 'accessToken', accessToken: String(credentials.accessToken ?? '') }
				: { method: 'password', password: String(credentials.password ?? '') };
	const security = String(credentials.security ?? 'tls');
	const host = String(credentials.host ?? '').trim();
	if (!host)
		throw new MailIntelError('the IMAP host is empty', {
			source: 'config',
			field: 'host',
			hint: 'Fill in Host in the Email Intel IMAP credential.',
		});
	return {
		host,
		port: Number(credentials.port ?? 993) || 993,
		security: security === 'starttls' || security === 'none' ? security : 'tls',
		// Credentials saved before 0.2 have `allowSelfSigned`, which already turned every check
		// off: it reads as the plainly named switch, so they keep connecting as they did.
		skipTlsVerification:
			credentials.skipTlsVerification === true || credentials.allowSelfSigned === true,
		...caCertificate(credentials.caCertificate),
		user: String(credentials.user ?? ''),
		auth,
	};
}

function caCertificate(value: unknown): Pick<ImapSettings, 'caCertificate'> {
	const pem = readCaCertificate(typeof value === 'string' ? value : undefined);
	return pem ? { caCertificate: pem } : {};
}
