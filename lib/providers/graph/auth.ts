import { createHash } from 'node:crypto';

import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';

import { readText } from '../../http/body';
import type { GraphAppConfig } from './config';
import { createHttpsTransport, type HttpsTransport } from './https';
import { tokenFailure, type TokenErrorBody } from './token-errors';

/** The small interface the Graph transport needs; MSAL is one implementation. */
export interface TokenSource {
	getAccessToken(): Promise<string>;
	/**
	 * Graph refused the current token (401: expired early, revoked): forget it, so the next
	 * `getAccessToken()` asks the token endpoint instead of a cache.
	 */
	invalidate?(): void;
}

/**
 * Client-credentials tokens from MSAL, cached in MSAL's in-memory cache only (never on disk).
 * The authority and cloud-discovery metadata are given up front, built from the authority
 * host: no discovery request, sovereign clouds work by changing the host, and a local fake
 * can serve the token endpoint (MSAL refuses http authorities, so the fake is https).
 */
export function createMsalTokenSource(
	config: GraphAppConfig,
	transport: HttpsTransport,
): TokenSource {
	const authority = `https://${config.authorityHost}/${config.tenantId}`;
	const authorityMetadata = {
		token_endpoint: `${authority}/oauth2/v2.0/token`,
		authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
		issuer: `${authority}/v2.0`,
		jwks_uri: `${authority}/discovery/v2.0/keys`,
		end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
		response_types_supported: ['code', 'id_token', 'token'],
	};
	const cloudDiscoveryMetadata = {
		tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
		'api-version': '1.1',
		metadata: [
			{
				preferred_network: config.authorityHost,
				preferred_cache: config.authorityHost,
				aliases: [config.authorityHost],
			},
		],
	};
	// MSAL replaces whatever its network client throws with a bare `network_error`: the
	// transport's own failure (host:port, which timeout, client-request-id) is kept here.
	let networkFailure: unknown;
	let refusal: TokenErrorBody | undefined;
	// Token endpoint failures name the credential field that points at it.
	const tokenTransport = transport.derive({ field: 'authorityHost' });
	const send = <T>(
		method: string,
		url: string,
		headers: Record<string, string> | undefined,
		body: string | undefined,
	) =>
		msalRequest<T>(tokenTransport, method, url, headers, body).then(
			(response) => {
				// MSAL folds a refusal into a formatted string: the body keeps the AADSTS number.
				if (response.status >= 400)
					refusal = { ...(response.body as TokenErrorBody), status: response.status };
				return response;
			},
			(error: unknown) => {
				networkFailure = error;
				throw error;
			},
		);
	const msalConfig: Configuration = {
		auth: {
			clientId: config.clientId,
			authority,
			knownAuthorities: [config.authorityHost],
			authorityMetadata: JSON.stringify(authorityMetadata),
			cloudDiscoveryMetadata: JSON.stringify(cloudDiscoveryMetadata),
			...(config.privateKeyPem
				? {
						clientCertificate: {
							thumbprintSha256: config.certificateThumbprintSha256!,
							privateKey: config.privateKeyPem,
						},
					}
				: { clientSecret: config.clientSecret }),
		},
		system: {
			networkClient: {
				sendGetRequestAsync: (url, options) => send('GET', url, options?.headers, undefined),
				sendPostRequestAsync: (url, options) => send('POST', url, options?.headers, options?.body),
			},
		},
	};
	const app = new ConfidentialClientApplication(msalConfig);
	const scope = `${config.graphBaseUrl}/.default`;
	// MSAL's cache lookup costs about a millisecond of CPU; every Graph request needs the token,
	// so the current one is also held here until 5 minutes before it expires.
	let current: { token: string; refreshAt: number } | undefined;
	// Set by invalidate(): MSAL's own cache still holds the refused token, so skip it once.
	let skipCache = false;
	// One acquisition at a time: the four requests of a mailbox that all met a revoked token ask
	// the token endpoint once between them.
	let pending: Promise<string> | undefined;
	const acquire = async (): Promise<string> => {
		networkFailure = undefined;
		refusal = undefined;
		try {
			const result = await app.acquireTokenByClientCredential({
				scopes: [scope],
				...(skipCache ? { skipCache: true } : {}),
			});
			skipCache = false;
			if (!result?.accessToken) throw new Error('the token endpoint returned no access token');
			const expiresAt = result.expiresOn?.getTime() ?? Date.now() + 10 * 60_000;
			current = { token: result.accessToken, refreshAt: expiresAt - 5 * 60_000 };
			return result.accessToken;
		} catch (error) {
			throw tokenFailure(config, error, refusal, networkFailure);
		}
	};
	return {
		invalidate() {
			current = undefined;
			skipCache = true;
		},
		getAccessToken() {
			if (current && Date.now() < current.refreshAt) return Promise.resolve(current.token);
			pending ??= acquire().finally(() => (pending = undefined));
			return pending;
		},
	};
}

async function msalRequest<T>(
	transport: HttpsTransport,
	method: string,
	url: string,
	headers: Record<string, string> | undefined,
	body: string | undefined,
): Promise<{ headers: Record<string, string>; body: T; status: number }> {
	// A token request only issues a token: repeating it is harmless, so the POST may be retried.
	const response = await transport.request({ method, url, headers, body, idempotent: true });
	const text = await readText(response.body, { source: 'graph' });
	let parsed: unknown = {};
	try {
		parsed = text ? JSON.parse(text) : {};
	} catch {
		parsed = { error: 'invalid_response', error_description: text.slice(0, 200) };
	}
	return { headers: response.headers, body: parsed as T, status: response.status };
}

/** Apps kept per credential: enough for many workflows, bounded all the same. */
const SHARED_APPS_CAP = 32;
const sharedApps = new Map<string, TokenSource>();

/**
 * One MSAL app (and so one in-memory token cache) per credential per process. Each webhook
 * call builds a session; without this every notification would fetch a new token, which costs
 * a round trip and earns throttling at the token endpoint. Keyed by a hash of the whole
 * config, secret included, so a changed secret is a different entry; nothing touches disk.
 */
export function sharedMsalTokenSource(config: GraphAppConfig): TokenSource {
	const key = createHash('sha256').update(JSON.stringify(config)).digest('hex');
	let source = sharedApps.get(key);
	if (source) {
		sharedApps.delete(key);
	} else {
		// Token requests are rare: no keep-alive, so no idle socket outlives the work.
		source = createMsalTokenSource(
			config,
			createHttpsTransport({ ca: config.ca, keepAlive: false }),
		);
	}
	sharedApps.set(key, source);
	while (sharedApps.size > SHARED_APPS_CAP)
		sharedApps.delete(sharedApps.keys().next().value as string);
	return source;
}
