import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * A dsx-connect deployment (Deep Instinct), for n8n acting as one of its connectors: where it
 * is, the enrollment token it was deployed with, and the name the connector registers under.
 * Registration returns the HMAC key that signs every call between the two; it is kept in
 * n8n's memory only (lib/scan/dsx-connect/enrollment.ts), never stored.
 */
// Tested by the DSX Connect node (`testedBy: 'dsxConnectApiTest'` in its versioned description,
// nodes/DsxConnect/v1/actions/versionDescription.ts), which this rule does not read.
// eslint-disable-next-line @n8n/community-nodes/credential-test-required
export class DsxConnectApi implements ICredentialType {
	name = 'dsxConnectApi';

	displayName = 'DSX Connect API';

	// A full URL, as the community rule (credential-documentation-url) asks.
	// eslint-disable-next-line n8n-nodes-base/cred-class-field-documentation-url-miscased
	documentationUrl = 'https://github.com/deep-instinct/dsx-connect';

	icon = {
		light: 'file:../icons/dsx-connect.svg',
		dark: 'file:../icons/dsx-connect.dark.svg',
	} as const;

	properties: INodeProperties[] = [
		{
			displayName: 'DSX Connect URL',
			name: 'url',
			type: 'string',
			default: '',
			placeholder: 'https://dsx-connect.example.com:8586',
			description: "dsx-connect's root URL (its API lives under /dsx-connect/api/v1)",
			required: true,
		},
		{
			displayName: 'Enrollment Token',
			name: 'enrollmentToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"The value of DSXCONNECT_ENROLLMENT_TOKEN of the dsx-connect deployment. dsx-connect's authentication must be on: this connector only serves signed calls.",
			required: true,
		},
		{
			displayName: 'Connector Name',
			name: 'connectorName',
			type: 'string',
			default: 'n8n-email-intel-connector',
			description:
				'The name the connector registers under (shown in dsx-connect). The Submit Scan Request operation finds the connector by it.',
			required: true,
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
				"For a dsx-connect whose certificate a private CA issued: that CA's certificate in PEM, trusted in addition to the system's. Leave empty for the system's trusted CAs.",
			displayOptions: { hide: { skipTlsVerification: [true] } },
		},
		{
			displayName: 'Skip TLS Verification (Insecure)',
			name: 'skipTlsVerification',
			type: 'boolean',
			default: false,
			description:
				'Whether to accept any certificate from dsx-connect: no CA, host name or expiry check, so anyone on the network path can read the enrollment token. Only for a lab; use CA Certificate (PEM) for a private CA.',
		},
	];
}
