import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * Gmail through n8n's Google OAuth2 flow ("Sign in with Google"). It extends n8n's
 * `googleOAuth2Api` with the one scope the pack needs: gmail.modify (read, label, trash,
 * insert; never permanent deletion). The Gmail provider refreshes the access token itself
 * (lib/auth/google-token.ts) with the client id/secret and the refresh token n8n stored.
 */
export class EmailIntelGmailOAuth2Api implements ICredentialType {
	name = 'emailIntelGmailOAuth2Api';

	extends = ['googleOAuth2Api'];

	displayName = 'Email Intel Gmail OAuth2 API';

	// eslint-disable-next-line n8n-nodes-base/cred-class-field-documentation-url-miscased
	documentationUrl =
		'https://github.com/email-intel/n8n-nodes-email-intel#email-intel-gmail-trigger';

	icon = {
		light: 'file:../icons/email-intel-gmail.svg',
		dark: 'file:../icons/email-intel-gmail.dark.svg',
	} as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: 'https://www.googleapis.com/auth/gmail.modify',
		},
		{
			displayName: 'API Base URL',
			name: 'apiBaseUrl',
			type: 'string',
			default: 'https://gmail.googleapis.com',
			description:
				'Advanced: the Gmail API endpoint. Leave as is unless a proxy or a test server stands in for Gmail (https only; http only to this machine).',
		},
	];

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.apiBaseUrl || "https://gmail.googleapis.com"}}',
			url: '/gmail/v1/users/me/profile',
		},
	};
}
