import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/** A clamd daemon, over TCP (TCPSocket/TCPAddr) or its Unix socket (LocalSocket). */
// Tested by the ClamAV node (`testedBy: 'clamAvApiTest'`: PING → PONG) in its versioned description,
// nodes/ClamAv/v1/actions/versionDescription.ts, which this rule does not read.
// eslint-disable-next-line @n8n/community-nodes/credential-test-required
export class ClamAvApi implements ICredentialType {
	name = 'clamAvApi';

	displayName = 'ClamAV API';

	// A full URL, as the community rule (credential-documentation-url) asks; the camelCase rule is for n8n's own repo.
	// eslint-disable-next-line n8n-nodes-base/cred-class-field-documentation-url-miscased
	documentationUrl = 'https://github.com/email-intel/n8n-nodes-email-intel#clamav';

	icon = { light: 'file:../icons/clamav.svg', dark: 'file:../icons/clamav.dark.svg' } as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Connect Over',
			name: 'connection',
			type: 'options',
			options: [
				{ name: 'TCP', value: 'tcp' },
				{ name: 'Unix Socket', value: 'socket' },
			],
			default: 'tcp',
		},
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '127.0.0.1',
			displayOptions: { show: { connection: ['tcp'] } },
			description:
				'Host of clamd (clamd.conf TCPAddr). clamd speaks plain TCP without authentication: keep it on loopback or a private network.',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 3310,
			displayOptions: { show: { connection: ['tcp'] } },
			description: 'clamd.conf TCPSocket',
		},
		{
			displayName: 'Socket Path',
			name: 'socketPath',
			type: 'string',
			default: '/var/run/clamav/clamd.ctl',
			displayOptions: { show: { connection: ['socket'] } },
			description: 'clamd.conf LocalSocket; the n8n user must be allowed to open it',
		},
		{
			displayName: 'Timeout (Seconds)',
			name: 'timeoutSeconds',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 60,
			description: 'Longest silence from clamd before the scan of a file fails',
		},
	];
}
