import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * A Microsoft Entra ID app registration used with application permissions (client
 * credentials): no user sign-in, tokens from MSAL held in memory only. The credential test is
 * the nodes' `methods.credentialTest.microsoftGraphAppApiTest` (MSAL cannot run as a declarative
 * request): it gets a token and, when a test mailbox is set, reads one of its folders.
 */
export class MicrosoftGraphAppApi implements ICredentialType {
	name = 'microsoftGraphAppApi';

	displayName = 'Microsoft Graph (App) API';

	// eslint-disable-next-line n8n-nodes-base/cred-class-field-documentation-url-miscased
	documentationUrl = 'https://learn.microsoft.com/en-us/graph/auth-v2-service';

	icon = {
		light: 'file:../icons/microsoft365-mail.svg',
		dark: 'file:../icons/microsoft365-mail.dark.svg',
	} as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Tenant ID',
			name: 'tenantId',
			type: 'string',
			default: '',
			required: true,
			placeholder: '00000000-0000-0000-0000-000000000000',
			description: 'Directory (tenant) ID from the app registration overview',
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description:
				'Application (client) ID. The app needs the Mail.Read application permission with admin consent.',
		},
		{
			displayName: 'Authentication',
			name: 'authType',
			type: 'options',
			options: [
				{ name: 'Client Secret', value: 'secret' },
				{ name: 'Certificate', value: 'certificate' },
			],
			default: 'secret',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['secret'] } },
			description: "The secret's value (not its ID)",
		},
		{
			displayName: 'Private Key (PEM)',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['certificate'] } },
			description:
				'The PEM private key of the certificate uploaded to the app registration (-----BEGIN PRIVATE KEY-----)',
		},
		{
			displayName: 'Certificate Thumbprint (SHA-256)',
			name: 'certificateThumbprint',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['certificate'] } },
			description:
				'Hex SHA-256 thumbprint of that certificate (openssl x509 -noout -fingerprint -sha256)',
		},
		{
			displayName: 'Authority Host',
			name: 'authorityHost',
			type: 'string',
			default: 'login.microsoftonline.com',
			description:
				'Entra ID sign-in host; change it for national clouds (e.g. login.microsoftonline.us)',
		},
		{
			displayName: 'Graph Base URL',
			name: 'graphBaseUrl',
			type: 'string',
			default: 'https://graph.microsoft.com',
			description:
				'Microsoft Graph endpoint without version; change it for national clouds (e.g. https://graph.microsoft.us)',
		},
		{
			displayName: 'Extra Trusted CA Certificate (PEM)',
			name: 'caCertificate',
			type: 'string',
			typeOptions: { password: true, rows: 3 },
			default: '',
			description:
				'Only for a TLS-inspecting proxy or a private Graph endpoint: a CA certificate to trust in addition to the system store. Leave empty for Microsoft 365.',
		},
		{
			displayName: 'Test Mailbox',
			name: 'testMailbox',
			type: 'string',
			default: '',
			placeholder: 'soc@contoso.com',
			description:
				'A mailbox (UPN) the credential test reads folders from; empty = only get a token',
		},
	];
}
