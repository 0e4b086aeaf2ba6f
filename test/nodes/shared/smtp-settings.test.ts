import type { ImapSettings } from '../../../lib/providers/imap/settings';
import { smtpSettingsFrom } from '../../../nodes/shared/smtp-settings';

const imap: ImapSettings = {
	host: 'imap.example.com',
	port: 993,
	security: 'tls',
	caCertificate: '-----BEGIN CERTIFICATE-----\nprivate CA\n-----END CERTIFICATE-----',
	user: 'alice@example.com',
	auth: { method: 'password', password: 'imap-secret' },
};

test('empty SMTP user and password are the IMAP login; port 587 with STARTTLS required by default; the CA is shared', () => {
	expect(smtpSettingsFrom({ smtpHost: ' smtp.example.com ' }, imap)).toEqual({
		host: 'smtp.example.com',
		port: 587,
		security: 'starttls',
		allowCleartextLogin: false,
		user: 'alice@example.com',
		auth: { method: 'password', password: 'imap-secret' },
		caCertificate: imap.caCertificate,
	});
});

test('own SMTP user and password win over the IMAP ones', () => {
	const settings = smtpSettingsFrom(
		{
			smtpHost: 'smtp.example.com',
			smtpUser: 'relay',
			smtpPassword: 'smtp-secret',
			smtpPort: 465,
			smtpSecurity: 'tls',
		},
		imap,
	);
	expect(settings).toMatchObject({
		port: 465,
		security: 'tls',
		user: 'relay',
		auth: { method: 'password', password: 'smtp-secret' },
	});
});

test('a token login is reused for SMTP (XOAUTH2), even if an old SMTP password is stored', () => {
	const oauth: ImapSettings = { ...imap, auth: { method: 'accessToken', accessToken: 'at-1' } };
	expect(
		smtpSettingsFrom({ smtpHost: 'smtp.example.com', smtpPassword: 'stale' }, oauth).auth,
	).toEqual({ method: 'accessToken', accessToken: 'at-1' });
});

test('the cleartext switch is only on when set to true; skip-verification is shared', () => {
	const settings = smtpSettingsFrom(
		{ smtpHost: 'smtp.example.com', smtpSecurity: 'none', smtpAllowCleartextLogin: true },
		{ ...imap, skipTlsVerification: true },
	);
	expect(settings).toMatchObject({
		security: 'none',
		allowCleartextLogin: true,
		skipTlsVerification: true,
	});
	expect(
		smtpSettingsFrom({ smtpHost: 'h', smtpSecurity: 'none', smtpAllowCleartextLogin: 'true' }, imap)
			.allowCleartextLogin,
	).toBe(false);
});

test('a credential without SMTP Host is told which field to fill', () => {
	expect(() => smtpSettingsFrom({}, imap)).toThrow(expect.objectContaining({ field: 'smtpHost' }));
});
