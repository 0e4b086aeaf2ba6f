import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * A Deep Instinct DSXA scanner reached directly (`/scan/binary/v2`). Its own file on purpose:
 * the dsx-connect connector mode adds its fields here later.
 */
// Tested by the Deep Instinct DSX node (`testedBy: 'deepInstinctDsxApiTest'` in its versioned
// description, nodes/DeepInstinctDsx/v1/actions/versionDescription.ts), which this rule does not read.
// eslint-disable-next-line @n8n/community-nodes/credential-test-required
export class DeepInstinctDsxApi implements ICredentialType {
	name = 'deepInstinctDsxApi';

	displayName = 'Deep Instinct DSX API';

	// A full URL, as the community rule (credential-documentation-url) asks; the camelCase rule is for n8n's own repo.
	// eslint-disable-next-line n8n-nodes-base/cred-class-field-documentation-url-miscased
	documentationUrl = 'https://github.com/email-intel/n8n-nodes-email-intel#deep-instinct-dsx';

	icon = {
		light: 'file:../icons/deep-instinct-dsx.svg',
		dark: 'file:../icons/deep-instinct-dsx.dark.svg',
	} as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Scanner URL',
			name: 'url',
			type: 'string',
			default: '',
			placeholder: 'https://dsxa.example.com',
			description:
				'Root of the DSXA scanner (it listens on plain HTTP port 5000 unless TLS is set up on it)',
			required: true,
		},
		{
			displayName: 'Allow Unencrypted HTTP',
			name: 'allowUnencryptedHttp',
			type: 'boolean',
			default: false,
			description:
				"Whether to accept an http:// scanner URL. The auth token then crosses the network in clear text: only for a scanner n8n reaches over a trusted internal network (e.g. Docker's http://dsxa:5000).",
		},
		{
			displayName: 'Auth Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"The scanner's AUTH_TOKEN, sent as the AUTH and AUTH_TOKEN headers. Empty when the scanner runs without one.",
		},
		{
			displayName: 'Protected Entity',
			name: 'protectedEntity',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 1,
			description: 'The protected entity (policy) ID the scans run under',
		},
		{
			displayName: 'CA Certificate',
			name: 'ca',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE-----',
			description:
				"PEM of the CA that issued the scanner's certificate, when it is not publicly trusted (https only)",
		},
		{
			displayName: 'Skip TLS Certificate Verification (Insecure)',
			name: 'dangerouslySkipTlsVerification',
			type: 'boolean',
			default: false,
			description:
				'Whether to accept any certificate from the scanner. Only for a lab: anyone in between can then read the files and the token.',
		},
	];
}
