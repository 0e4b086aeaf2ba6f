import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * An IMAP account. IMAP is not HTTP, so the credential test is a function on the trigger
 * node (`methods.credentialTest.emailIntelImapApiTest`): connect, log in, STATUS INBOX.
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
		{
			displayName: 'Allow Self-Signed Certificates',
			name: 'allowSelfSigned',
			type: 'boolean',
			default: false,
			description:
				'Whether to accept a certificate that no trusted CA signed (lab servers). Leave off for real servers.',
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
	];
}
