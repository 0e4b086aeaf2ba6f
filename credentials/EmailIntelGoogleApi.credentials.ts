import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * Gmail without n8n's OAuth flow: a Google "authorized user" token JSON (the OpenCTI
 * connector's google_token_json; the same JSON the IMAP credential takes for XOAUTH2), or a
 * service account with domain-wide delegation acting as a Workspace user. Not HTTP-testable
 * declaratively (a token must be obtained first): the credential test is a function on the
 * Gmail trigger (`methods.credentialTest.emailIntelGoogleApiTest`).
 */
export class EmailIntelGoogleApi implements ICredentialType {
	name = 'emailIntelGoogleApi';

	displayName = 'Email Intel Google API';

	// eslint-disable-next-line n8n-nodes-base/cred-class-field-documentation-url-miscased
	documentationUrl =
		'https://github.com/email-intel/n8n-nodes-email-intel#email-intel-gmail-trigger';

	icon = {
		light: 'file:../icons/email-intel-gmail.svg',
		dark: 'file:../icons/email-intel-gmail.dark.svg',
	} as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authMethod',
			type: 'options',
			options: [
				{
					name: 'Google Token JSON',
					value: 'tokenJson',
					description:
						'An authorized-user JSON (client_id, client_secret, refresh_token, token_uri), refreshed at its token_uri',
				},
				{
					name: 'Service Account (Domain-Wide Delegation)',
					value: 'serviceAccount',
					description: 'A service account key acting as a Google Workspace user',
				},
			],
			default: 'tokenJson',
		},
		{
			displayName: 'Google Token JSON',
			name: 'googleTokenJson',
			type: 'string',
			typeOptions: { password: true, rows: 6 },
			default: '',
			placeholder:
				'{"client_id": "...", "client_secret": "...", "refresh_token": "...", "token_uri": "https://oauth2.googleapis.com/token"}',
			description:
				'As written by `gcloud auth application-default login` (with the gmail.modify scope) or google-auth',
			displayOptions: { show: { authMethod: ['tokenJson'] } },
		},
		// The key file holds the service account's private key: a secret, whatever its name says.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'Service Account Key (JSON)',
			name: 'serviceAccountKey',
			type: 'string',
			typeOptions: { password: true, rows: 6 },
			default: '',
			description:
				'The JSON key file of the service account. Its client ID needs domain-wide delegation of https://www.googleapis.com/auth/gmail.modify in the Workspace admin console.',
			displayOptions: { show: { authMethod: ['serviceAccount'] } },
		},
		{
			displayName: 'User to Act As',
			name: 'delegatedUser',
			type: 'string',
			default: '',
			placeholder: 'soc@example.com',
			description: 'The Workspace mailbox the service account reads',
			displayOptions: { show: { authMethod: ['serviceAccount'] } },
		},
		{
			displayName: 'API Base URL',
			name: 'apiBaseUrl',
			type: 'string',
			default: 'https://gmail.googleapis.com',
			description:
				'Advanced: the Gmail API endpoint. Leave as is unless a proxy or a test server stands in for Gmail (https only; http only to this machine).',
		},
		{
			displayName: 'Token URL',
			name: 'tokenUrl',
			type: 'string',
			default: '',
			placeholder: 'https://oauth2.googleapis.com/token',
			description:
				"Advanced: replaces the JSON's token_uri (a proxy or a test server). Empty: the JSON's own, else Google's.",
		},
	];
}
