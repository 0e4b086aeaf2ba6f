import type { IAuthenticateGeneric, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * An OpenCTI platform: its root URL and a user's API token (sent as a Bearer token). The test
 * is the OpenCTI node's `methods.credentialTest` (the client the node runs), so an `http://`
 * URL is refused before the token is sent, as on every execution.
 */
// Tested by the OpenCTI node (`testedBy: 'emailIntelOpenCtiApiTest'` in its versioned
// description, nodes/OpenCti/v1/actions/versionDescription.ts), which this rule does not read.
// eslint-disable-next-line @n8n/community-nodes/credential-test-required
export class EmailIntelOpenCtiApi implements ICredentialType {
	name = 'emailIntelOpenCtiApi';

	displayName = 'Email Intel OpenCTI API';

	// A full URL, as the community rule (credential-documentation-url) asks; the camelCase rule is for n8n's own repo.
	// eslint-disable-next-line n8n-nodes-base/cred-class-field-documentation-url-miscased
	documentationUrl = 'https://docs.opencti.io/latest/deployment/integrations/#graphql-api';

	icon = { light: 'file:../icons/opencti.svg', dark: 'file:../icons/opencti.dark.svg' } as const;

	properties: INodeProperties[] = [
		{
			displayName: 'URL',
			name: 'url',
			type: 'string',
			default: '',
			placeholder: 'https://opencti.example.com',
			description: 'The platform root, without /graphql',
			required: true,
		},
		{
			displayName: 'Allow Unencrypted HTTP',
			name: 'allowUnencryptedHttp',
			type: 'boolean',
			default: false,
			description:
				"Whether to accept an http:// URL. The API token then crosses the network in clear text: only for a platform n8n reaches over a trusted internal network (e.g. Docker's http://opencti:8080).",
		},
		{
			displayName: 'API Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'The API token of an OpenCTI user (Profile > API access). The user needs the capabilities KNOWLEDGE_KNUPDATE (create/update knowledge) and KNOWLEDGE_KNUPLOAD (upload files).',
			required: true,
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.token}}',
			},
		},
	};
}
