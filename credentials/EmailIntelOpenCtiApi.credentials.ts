import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

/** An OpenCTI platform: its root URL and a user's API token (sent as a Bearer token). */
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

	// OpenCTI answers a bad token with HTTP 200 and an AUTH_REQUIRED GraphQL error, hence the body rule.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.url.replace(/\\/+$/, "").replace(/\\/graphql$/, "")}}',
			url: '/graphql',
			method: 'POST',
			body: { query: 'query EmailIntelAbout { about { version } }' },
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errors[0].extensions.code',
					value: 'AUTH_REQUIRED',
					message: 'OpenCTI rejected the API token: check the token in this credential',
				},
			},
		],
	};
}
