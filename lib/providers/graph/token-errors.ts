import { MailIntelError, errorMessage, isMailIntelError } from '../../errors';
import { isTlsFailureCode } from '../../http/errors';
import type { GraphAppConfig } from './config';

/**
 * The one place that says which credential field a failed token request is about. Entra ID
 * answers a token request it refuses with an OAuth error and an AADSTS number
 * (`{"error":"unauthorized_client","error_description":"AADSTS700016: ...","error_codes":[700016]}`);
 * the OAuth error alone misleads (a wrong client id is `unauthorized_client`, not a bad secret),
 * so the number decides. Network failures of the token endpoint name the authority host, or
 * the CA field when its certificate is not trusted.
 */

/** What the token endpoint answered with (the fields Entra ID sends on a refusal). */
export interface TokenErrorBody {
	error?: string;
	error_description?: string;
	error_codes?: number[];
	trace_id?: string;
	correlation_id?: string;
	/** The HTTP status (ours, not Entra's field): 429 and 5xx are worth another try. */
	status?: number;
}

interface Mapping {
	field: (config: GraphAppConfig) => string;
	hint: (config: GraphAppConfig) => string;
}

const secretField = (config: GraphAppConfig) =>
	config.privateKeyPem ? 'privateKey' : 'clientSecret';

const TENANT: Mapping = {
	field: () => 'tenantId',
	hint: (config) =>
		`No tenant "${config.tenantId}" exists at ${config.authorityHost}: copy the Directory (tenant) ID from the app registration's overview (a national cloud also needs its Authority Host).`,
};

/** By AADSTS number (learn.microsoft.com/entra/identity-platform/reference-error-codes). */
const BY_AADSTS: Record<number, Mapping> = {
	90002: TENANT, // tenant not found
	900023: TENANT, // tenant id is neither a GUID nor a domain
	90072: TENANT, // account / app not in this tenant
	700016: {
		field: () => 'clientId',
		hint: (config) =>
			`No application with client ID "${config.clientId}" is registered in tenant ${config.tenantId}: copy the Application (client) ID from the app registration's overview, and check that the Tenant ID is the tenant the app is registered in.`,
	},
	7000215: {
		field: secretField,
		hint: () =>
			"Check the client secret: paste the secret's Value (shown once, when it was created), not its Secret ID.",
	},
	7000222: {
		field: secretField,
		hint: () =>
			'The client secret has expired: create a new one under Certificates & secrets and paste its Value.',
	},
	700027: {
		field: secretField,
		hint: () =>
			'The certificate was refused: upload the certificate of this private key to the app registration (Certificates & secrets), and give its SHA-256 thumbprint.',
	},
};

/** Without a known number, the OAuth error (RFC 6749 5.2): invalid_client = client authentication failed. */
const BY_OAUTH_ERROR: Record<string, Mapping> = {
	invalid_client: BY_AADSTS[7000215],
	unauthorized_client: BY_AADSTS[700016],
};

function aadstsOf(body: TokenErrorBody | undefined, cause: unknown): number | undefined {
	const listed = body?.error_codes?.[0] ?? (cause as { errorNo?: number | string })?.errorNo;
	if (listed !== undefined && Number.isFinite(Number(listed))) return Number(listed);
	const text = body?.error_description ?? errorMessage(cause);
	const match = /AADSTS(\d+)/.exec(text);
	return match ? Number(match[1]) : undefined;
}

/**
 * A failed token acquisition as the one error type. `body` is the token endpoint's error
 * answer when there was one; `networkFailure` what the transport threw when there was none.
 */
export function tokenFailure(
	config: GraphAppConfig,
	cause: unknown,
	body?: TokenErrorBody,
	networkFailure?: unknown,
): MailIntelError {
	if (isMailIntelError(networkFailure)) return authorityUnreachable(config, networkFailure);
	const aadsts = aadstsOf(body, cause);
	const oauthError = body?.error ?? (cause as { errorCode?: string })?.errorCode;
	const mapping =
		(aadsts !== undefined ? BY_AADSTS[aadsts] : undefined) ??
		(oauthError ? BY_OAUTH_ERROR[oauthError] : undefined);
	// Entra ID's description ends with trace lines; the first line says what is wrong.
	const description = (body?.error_description ?? errorMessage(cause)).split(/\r?\n/)[0].trim();
	const ids = body?.trace_id
		? ` (trace ID ${body.trace_id}, correlation ID ${body.correlation_id ?? 'none'})`
		: '';
	return new MailIntelError(
		`Entra ID (${config.authorityHost}) refused the token request: ${description}${ids}`,
		{
			source: 'graph',
			status: 401,
			code: aadsts !== undefined ? `AADSTS${aadsts}` : (oauthError ?? 'AUTH_FAILED'),
			retryable: body?.status !== undefined && (body.status === 429 || body.status >= 500),
			...(mapping ? { field: mapping.field(config) } : {}),
			...(body?.correlation_id ? { requestId: body.correlation_id } : {}),
			hint: mapping
				? mapping.hint(config)
				: 'Check the tenant ID, client ID, secret or certificate, and authority host of the credential.',
			cause,
		},
	);
}

/** The token endpoint could not be reached or not trusted: the authority host or the CA field. */
function authorityUnreachable(config: GraphAppConfig, failure: MailIntelError): MailIntelError {
	const untrusted = isTlsFailureCode(failure.code);
	return new MailIntelError(
		`Could not reach the Entra ID token endpoint at the authority host ${config.authorityHost}: ${failure.message}`,
		{
			source: failure.source,
			code: failure.code,
			requestId: failure.requestId,
			retryable: failure.retryable,
			field: untrusted ? 'caCertificate' : 'authorityHost',
			hint: untrusted
				? `The certificate of ${config.authorityHost} is not trusted: if a TLS-inspecting proxy sits in between, put its CA (PEM) into the credential's Extra Trusted CA Certificate; otherwise check the Authority Host.`
				: `Check the credential's Authority Host (${config.authorityHost}; login.microsoftonline.com for Microsoft 365, another host for national clouds), and that n8n can reach it (firewall, proxy settings HTTPS_PROXY / NO_PROXY).`,
			cause: failure,
		},
	);
}

/**
 * A Graph request that failed on the network: which credential field to check. A certificate
 * that is not trusted is the CA field's business; anything else the Graph Base URL's.
 */
export function graphUnreachable(config: GraphAppConfig, error: unknown): unknown {
	// Only the Graph transport's own network failures (a token failure names its own field).
	if (!isMailIntelError(error) || error.status !== undefined || error.field !== 'graphBaseUrl')
		return error;
	const untrusted = isTlsFailureCode(error.code);
	return new MailIntelError(
		`Could not reach Microsoft Graph at ${config.graphBaseUrl}: ${error.message}`,
		{
			source: error.source,
			code: error.code,
			requestId: error.requestId,
			retryable: error.retryable,
			field: untrusted ? 'caCertificate' : 'graphBaseUrl',
			hint: untrusted
				? `The certificate of ${config.graphBaseUrl} is not trusted: if a TLS-inspecting proxy sits in between, put its CA (PEM) into the credential's Extra Trusted CA Certificate; otherwise check the Graph Base URL.`
				: `Check the credential's Graph Base URL (${config.graphBaseUrl}; https://graph.microsoft.com for Microsoft 365), and that n8n can reach it (firewall, proxy settings).`,
			cause: error,
		},
	);
}
