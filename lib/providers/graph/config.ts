import { MailIntelError } from '../../errors';

/** What the `microsoftGraphAppApi` credential holds, validated once where it enters the core. */
export interface GraphAppConfig {
	tenantId: string;
	clientId: string;
	/** Either a client secret ... */
	clientSecret?: string;
	/** ... or a certificate: PEM private key + SHA-256 thumbprint (hex) of its certificate. */
	privateKeyPem?: string;
	certificateThumbprintSha256?: string;
	/** Host only, e.g. `login.microsoftonline.com` (sovereign clouds differ). */
	authorityHost: string;
	/** e.g. `https://graph.microsoft.com` (no version segment). */
	graphBaseUrl: string;
	/** Extra trusted CA certificate (PEM), for TLS-inspecting proxies and the test fake. */
	ca?: string;
}

export const DEFAULT_AUTHORITY_HOST = 'login.microsoftonline.com';
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com';

function configError(message: string, field: string, hint: string): MailIntelError {
	return new MailIntelError(message, { source: 'config', code: 'BAD_CONFIG', field, hint });
}

export function validateGraphConfig(input: Partial<GraphAppConfig>): GraphAppConfig {
	const tenantId = (input.tenantId ?? '').trim();
	const clientId = (input.clientId ?? '').trim();
	if (!tenantId)
		throw configError(
			'Tenant ID is empty',
			'tenantId',
			'Copy the Directory (tenant) ID from the app registration overview in Entra ID.',
		);
	if (!clientId)
		throw configError(
			'Client ID is empty',
			'clientId',
			'Copy the Application (client) ID from the app registration overview.',
		);
	const secret = input.clientSecret?.trim();
	const key = input.privateKeyPem?.trim();
	const thumbprint = input.certificateThumbprintSha256?.replace(/[:\s]/g, '').toLowerCase();
	if (!secret && !key)
		throw configError(
			'Neither a client secret nor a certificate is set',
			'clientSecret',
			'Add a client secret, or a certificate private key and its SHA-256 thumbprint.',
		);
	if (key && !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(key)) {
		throw configError(
			'The private key is not a PEM private key',
			'privateKey',
			'Paste the key starting with -----BEGIN PRIVATE KEY----- (not the certificate).',
		);
	}
	if (key && !/^[0-9a-f]{64}$/.test(thumbprint ?? '')) {
		throw configError(
			'The certificate thumbprint is not a SHA-256 hex thumbprint',
			'certificateThumbprint',
			'Use the 64-hex-digit SHA-256 thumbprint, e.g. `openssl x509 -noout -fingerprint -sha256 -in cert.pem`.',
		);
	}
	const authorityHost = (input.authorityHost || DEFAULT_AUTHORITY_HOST)
		.trim()
		.replace(/^https:\/\//, '')
		.replace(/\/+$/, '');
	if (!/^[a-z0-9.-]+(:\d+)?$/i.test(authorityHost)) {
		throw configError(
			`Authority host "${authorityHost}" is not a host name`,
			'authorityHost',
			'Give a host only, e.g. login.microsoftonline.com.',
		);
	}
	const graphBaseUrl = (input.graphBaseUrl || DEFAULT_GRAPH_BASE_URL)
		.trim()
		.replace(/\/+$/, '')
		.replace(/\/(v1\.0|beta)$/, '');
	if (!/^https:\/\/[^/]+$/.test(graphBaseUrl)) {
		throw configError(
			`Graph base URL "${graphBaseUrl}" is not an https origin`,
			'graphBaseUrl',
			'Use e.g. https://graph.microsoft.com (Graph refuses plain http).',
		);
	}
	return {
		tenantId,
		clientId,
		...(key
			? { privateKeyPem: key, certificateThumbprintSha256: thumbprint }
			: { clientSecret: secret }),
		authorityHost,
		graphBaseUrl,
		...(input.ca?.trim() ? { ca: input.ca.trim() } : {}),
	};
}
