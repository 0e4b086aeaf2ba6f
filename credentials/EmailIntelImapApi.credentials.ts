import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * An IMAP account, and the SMTP server it sends through (the Email (IMAP) node's Send
 * operation). IMAP is not HTTP, so the credential test is a function on the trigger node
 * (`methods.credentialTest.emailIntelImapApiTest`): connect, log in, STATUS INBOX.
 * The SMTP fields all have defaults, so credentials saved before them keep working; empty SMTP
 * User/Password mean the IMAP login, a token method logs in to SMTP with the same token
 * (XOAUTH2), and the CA / skip-verification settings serve both.
 */
export class EmailIntelImapApi implements ICredentialType {
	name = 'emailIntelImapApi';

	displayName = 'Email Intel IMAP';

	// A full URL, as the community rule (credential-documentation-url) asks.
	// eslint-disable-next-line n8n-nodes-base/cred-class-field-documentation-url-miscased
	documentationUrl =
		'https://github.com/email-intel/n8n-nodes-email-intel#email-intel-imap-trigger';

	icon = {
		light: 'file:../icons/email-intel-imap.svg',
		dark: 'file:../icons/email-intel-imap.dark.svg',
	} as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			placeholder: 'imap.example.com',
			required: true,
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 993,
			description: '993 for TLS; 143 for STARTTLS or None',
		},
		{
			displayName: 'Security',
			name: 'security',
			type: 'options',
			options: [
				{
					name: 'TLS',
					value: 'tls',
					description: 'Encrypted from the first byte (usually port 993)',
				},
				{
					name: 'STARTTLS',
					value: 'starttls',
					description:
						'Plain connection upgraded to TLS; refused if the server cannot (usually port 143)',
				},
				{
					name: 'None',
					value: 'none',
					description: 'No encryption: only for a server on a trusted network',
				},
			],
			default: 'tls',
		},
		// A CA certificate is public (servers send it to anyone): masking it would only hide typos.
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field
		{
			displayName: 'CA Certificate (PEM)',
			name: 'caCertificate',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----',
			description:
				"For a server whose certificate a private CA issued (or a self-signed one): that CA's certificate, or the server's own, in PEM. The server is then trusted only if its certificate chains to it, and the host name and expiry are still checked. Leave empty for the system's trusted CAs.",
			displayOptions: { hide: { security: ['none'], skipTlsVerification: [true] } },
		},
		{
			displayName: 'Skip TLS Verification (Insecure)',
			name: 'skipTlsVerification',
			type: 'boolean',
			default: false,
			description:
				"Whether to accept any certificate: no CA, host name or expiry check, so anyone on the network path can read the password. Only for a throwaway lab server; use CA Certificate (PEM) for a private CA. (Credentials saved with the former 'Allow Self-Signed Certificates' on behave as this switch.)",
			displayOptions: { hide: { security: ['none'] } },
		},
		{
			// The switch of versions before the CA field. n8n hands a node only the fields a
			// credential declares, so it stays declared (hidden) and a stored `true` still reaches
			// imapSettingsFrom, which reads it as Skip TLS Verification.
			displayName: 'Allow Self-Signed Certificates (Former Field)',
			name: 'allowSelfSigned',
			type: 'hidden',
			default: false,
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			placeholder: 'analyst@example.com',
			required: true,
		},
		{
			displayName: 'Authentication',
			name: 'authMethod',
			type: 'options',
			options: [
				{ name: 'Password', value: 'password' },
				{
					name: 'Google Token JSON (XOAUTH2)',
					value: 'googleTokenJson',
					description:
						'A Google authorized-user JSON; its refresh token is exchanged at token_uri on every poll',
				},
				{
					name: 'OAuth2 Access Token (XOAUTH2)',
					value: 'accessToken',
					description: 'A ready access token that something else keeps fresh',
				},
			],
			default: 'password',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authMethod: ['password'] } },
		},
		{
			displayName: 'Google Token JSON',
			name: 'googleTokenJson',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			placeholder:
				'{"client_id": "...", "client_secret": "...", "refresh_token": "...", "token_uri": "https://oauth2.googleapis.com/token"}',
			description:
				"The authorized-user JSON (as the OpenCTI Email Intel connector's google_token_json): client_id, client_secret, refresh_token, token_uri",
			displayOptions: { show: { authMethod: ['googleTokenJson'] } },
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authMethod: ['accessToken'] } },
		},
		{
			displayName: 'SMTP Host',
			name: 'smtpHost',
			type: 'string',
			default: '',
			placeholder: 'smtp.example.com',
			description:
				'The submission server for sending (the Send operation of Email (IMAP)). Leave empty if this account only reads mail.',
		},
		{
			displayName: 'SMTP Port',
			name: 'smtpPort',
			type: 'number',
			default: 587,
			description: '587 for STARTTLS, 465 for TLS',
		},
		{
			displayName: 'SMTP Security',
			name: 'smtpSecurity',
			type: 'options',
			options: [
				{
					name: 'STARTTLS (Required)',
					value: 'starttls',
					description:
						'Plain connection upgraded to TLS before the login; refused if the server cannot (usually port 587)',
				},
				{
					name: 'TLS',
					value: 'tls',
					description: 'Encrypted from the first byte (usually port 465)',
				},
				{
					name: 'None',
					value: 'none',
					description:
						'No encryption: the login is refused unless Allow Cleartext Password (Insecure) is on',
				},
			],
			default: 'starttls',
		},
		{
			displayName: 'Allow Cleartext Password (Insecure)',
			name: 'smtpAllowCleartextLogin',
			type: 'boolean',
			default: false,
			description:
				'Whether to send the SMTP login (password or token) over an unencrypted connection, readable by anyone on the network path. Only for a relay on a trusted network.',
			displayOptions: { show: { smtpSecurity: ['none'] } },
		},
		{
			displayName: 'SMTP User',
			name: 'smtpUser',
			type: 'string',
			default: '',
			placeholder: 'Same as User',
			description: 'Leave empty to log in to SMTP with the IMAP User',
		},
		{
			displayName: 'SMTP Password',
			name: 'smtpPassword',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'Same as Password',
			description: 'Leave empty to log in to SMTP with the IMAP Password',
			displayOptions: { show: { authMethod: ['password'] } },
		},
	];
}
