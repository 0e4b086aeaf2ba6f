import { createHash, createSign } from 'node:crypto';

import { MailIntelError, errorMessage, type ErrorSource } from '../errors';
import { readText } from '../http/body';
import { HttpTransport } from '../http/transport';
import { region } from '../state/registry';

/**
 * Google access tokens, one implementation for every part of the pack that needs one:
 * - the "authorized user" token JSON (what `gcloud auth application-default login` and
 *   google-auth write, and the OpenCTI connector's `google_token_json`), refreshed at its
 *   token_uri (RFC 6749 §6): the IMAP XOAUTH2 login and the Gmail trigger;
 * - n8n's Google OAuth2 credential (client id/secret + the refresh token n8n stored), refreshed
 *   the same way once the access token n8n handed over is refused;
 * - a service account with domain-wide delegation: a JWT signed RS256 with node:crypto,
 *   exchanged with the JWT bearer grant (RFC 7523).
 * Tokens are cached in a registry region (lib/state/registry.ts), keyed by a hash of what
 * obtains them (never the secret itself), until shortly before they expire.
 */
export interface GoogleAuthorizedUser {
	client_id: string;
	client_secret: string;
	refresh_token: string;
	token_uri?: string;
	/** A cached access token and its expiry, as google-auth writes them; reused while valid. */
	token?: string;
	expiry?: string;
}

/** The fields of a service account key file (JSON) that the JWT bearer grant needs. */
export interface GoogleServiceAccountKey {
	client_email: string;
	private_key: string;
	private_key_id?: string;
	token_uri?: string;
}

export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** A token must outlive the work it is fetched for: treat it as expired this long before. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000;
/** A signed assertion is valid for an hour at most (Google refuses longer). */
const ASSERTION_LIFETIME_S = 3600;

/** Anything fetch-shaped, for tests that stand in for the token endpoint without a server. */
export type FetchLike = (
	url: string,
	init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface GoogleTokenOptions {
	/** Whose errors these are (`imap` for the IMAP login, `gmail` for the Gmail trigger). */
	source: ErrorSource;
	/** The credential field holding the JSON (or the key), named by every error. */
	field: string;
	/** Replaces the JSON's token_uri (a credential's "Token URL": a test server, a proxy). */
	tokenUri?: string;
	/** What to do when the token endpoint refuses (default: about the token JSON). */
	hint?: string;
	fetch?: FetchLike;
	transport?: HttpTransport;
	now?: () => number;
}

const tokens = region<{ token: string; expiresAt: number }>({
	name: 'auth.googleTokens',
	holds: 'an access token obtained for a Google credential, and when it expires',
	key: 'sha256(client id or service account + refresh token or subject + scope + token URL)',
	maxEntries: 256,
	ttlMs: 3600_000,
	clearedWhen: 'the token is within a minute of expiring; the API refused it (invalidate)',
});

export function parseGoogleTokenJson(
	text: string,
	field = 'googleTokenJson',
): GoogleAuthorizedUser {
	const json = parseJson(text, field, 'Google Token JSON', 'BAD_TOKEN_JSON');
	const absent = ['client_id', 'client_secret', 'refresh_token'].filter(
		(key) => typeof json[key] !== 'string' || !json[key],
	);
	if (absent.length > 0) {
		throw new MailIntelError(`the Google Token JSON lacks ${absent.join(', ')}`, {
			source: 'config',
			code: 'BAD_TOKEN_JSON',
			field,
			hint: "An authorized-user JSON needs client_id, client_secret and refresh_token (token_uri defaults to Google's).",
		});
	}
	tokenUriOf(json as unknown as GoogleAuthorizedUser, field);
	return json as unknown as GoogleAuthorizedUser;
}

export function parseServiceAccountKey(
	text: string,
	field = 'serviceAccountKey',
): GoogleServiceAccountKey {
	const json = parseJson(text, field, 'service account key', 'BAD_SERVICE_ACCOUNT_KEY');
	const absent = ['client_email', 'private_key'].filter(
		(key) => typeof json[key] !== 'string' || !json[key],
	);
	if (absent.length > 0) {
		throw new MailIntelError(`the service account key lacks ${absent.join(', ')}`, {
			source: 'config',
			code: 'BAD_SERVICE_ACCOUNT_KEY',
			field,
			hint: 'Paste the whole JSON key file of the service account (Google Cloud console → IAM → Service accounts → Keys).',
		});
	}
	tokenUriOf(json as unknown as GoogleServiceAccountKey, field);
	return json as unknown as GoogleServiceAccountKey;
}

function parseJson(
	text: string,
	field: string,
	what: string,
	code: string,
): Record<string, unknown> {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new MailIntelError(`the ${what} is not valid JSON: ${errorMessage(error)}`, {
			source: 'config',
			code,
			field,
			hint:
				code === 'BAD_TOKEN_JSON'
					? 'Paste the authorized-user JSON (client_id, client_secret, refresh_token, token_uri) as produced by `gcloud auth application-default login` or google-auth.'
					: 'Paste the whole JSON key file of the service account.',
		});
	}
	return (value ?? {}) as Record<string, unknown>;
}

/**
 * The endpoint the client secret, refresh token or signed assertion is sent to: https only, so
 * they never cross the network in clear. Loopback is the one exception (a local identity
 * provider in tests).
 */
export function tokenUriOf(json: { token_uri?: string }, field: string, override?: string): URL {
	const raw = override || json.token_uri || GOOGLE_TOKEN_URI;
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw badTokenUri(`"${raw}" is not a URL`, field);
	}
	if (!secureOrLoopback(url))
		throw badTokenUri(
			`${url.origin} is not https: the client secret and refresh token would travel in clear`,
			field,
		);
	return url;
}

/** https, or http to this machine only (a local test server): bearer secrets never go out in clear. */
export function secureOrLoopback(url: URL): boolean {
	const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
	return url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
}

function badTokenUri(detail: string, field: string): MailIntelError {
	return new MailIntelError(`token_uri in the Google Token JSON is refused: ${detail}`, {
		source: 'config',
		code: 'BAD_TOKEN_URI',
		field,
		hint: `Set "token_uri" in the token JSON to ${GOOGLE_TOKEN_URI} (or remove it: that is the default).`,
	});
}

/** What an API client asks for a bearer token (the Gmail client, the IMAP login). */
export interface AccessTokenSource {
	getAccessToken(): Promise<string>;
	/** The API refused the current token (401): the next call obtains a new one. */
	invalidate(): void;
}

/** An access token for the JSON: its own while valid, else from memory, else a refresh (RFC 6749 §6). */
export async function googleAccessToken(
	json: GoogleAuthorizedUser,
	options: GoogleTokenOptions,
): Promise<string> {
	return authorizedUserTokens(json, options).getAccessToken();
}

/** Tokens of an authorized user (token JSON, or n8n's OAuth2 credential as one). */
export function authorizedUserTokens(
	json: GoogleAuthorizedUser,
	options: GoogleTokenOptions,
): AccessTokenSource {
	const now = options.now ?? Date.now;
	const tokenUri = tokenUriOf(json, options.field, options.tokenUri);
	const key = cacheKey(json.client_id, json.refresh_token, tokenUri.href);
	let ownTokenRefused = false;
	return {
		getAccessToken: () => {
			const own = !ownTokenRefused && json.token;
			// No expiry written with it (n8n's OAuth2 data): used until the API refuses it.
			if (own && (!json.expiry || Date.parse(json.expiry) - now() > TOKEN_EXPIRY_MARGIN_MS))
				return Promise.resolve(own);
			return cachedToken(
				key,
				tokenUri,
				() => ({
					grant_type: 'refresh_token',
					client_id: json.client_id,
					client_secret: json.client_secret,
					refresh_token: json.refresh_token,
				}),
				{
					...options,
					hint:
						options.hint ??
						'Check client_id, client_secret and refresh_token in the Google Token JSON; an expired or revoked refresh token needs a new consent (gcloud auth application-default login).',
				},
			);
		},
		invalidate: () => {
			ownTokenRefused = true;
			tokens.delete(key);
		},
	};
}

/**
 * Tokens of a service account acting as `subject` (domain-wide delegation): a JWT (RS256,
 * node:crypto) exchanged with the JWT bearer grant (RFC 7523 §2.1).
 */
export function serviceAccountTokens(
	key: GoogleServiceAccountKey,
	subject: string,
	scope: string,
	options: GoogleTokenOptions,
): AccessTokenSource {
	const now = options.now ?? Date.now;
	const tokenUri = tokenUriOf(key, options.field, options.tokenUri);
	const cached = cacheKey(key.client_email, subject, scope, tokenUri.href);
	return {
		getAccessToken: () =>
			cachedToken(
				cached,
				tokenUri,
				() => ({
					grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
					assertion: signAssertion(key, subject, scope, tokenUri.href, now(), options.field),
				}),
				{
					...options,
					hint:
						options.hint ??
						`Check the service account key, that domain-wide delegation grants its client id the scope ${scope} (Google Workspace admin console → Security → API controls), and the user to act as.`,
				},
			),
		invalidate: () => tokens.delete(cached),
	};
}

function cacheKey(...parts: string[]): string {
	return createHash('sha256').update(parts.join('\n')).digest('hex');
}

function signAssertion(
	key: GoogleServiceAccountKey,
	subject: string,
	scope: string,
	audience: string,
	nowMs: number,
	field: string,
): string {
	const iat = Math.floor(nowMs / 1000);
	const header = {
		alg: 'RS256',
		typ: 'JWT',
		...(key.private_key_id ? { kid: key.private_key_id } : {}),
	};
	const claims = {
		iss: key.client_email,
		sub: subject,
		scope,
		aud: audience,
		iat,
		exp: iat + ASSERTION_LIFETIME_S,
	};
	const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
	try {
		const signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key);
		return `${unsigned}.${signature.toString('base64url')}`;
	} catch (error) {
		throw new MailIntelError(
			`the service account's private_key cannot sign: ${errorMessage(error)}`,
			{
				source: 'config',
				code: 'BAD_SERVICE_ACCOUNT_KEY',
				field,
				hint: 'Paste the key file exactly as downloaded: private_key is a PEM "-----BEGIN PRIVATE KEY-----" block.',
			},
		);
	}
}

function base64url(text: string): string {
	return Buffer.from(text, 'utf8').toString('base64url');
}

async function cachedToken(
	key: string,
	tokenUri: URL,
	form: () => Record<string, string>,
	options: GoogleTokenOptions,
): Promise<string> {
	const now = options.now ?? Date.now;
	const cached = tokens.get(key);
	if (cached && cached.expiresAt - now() > TOKEN_EXPIRY_MARGIN_MS) return cached.token;
	const { status, text } = await post(tokenUri, new URLSearchParams(form()).toString(), options);
	let parsed: {
		access_token?: string;
		expires_in?: number;
		error?: string | { message?: string };
		error_description?: string;
	} = {};
	try {
		parsed = JSON.parse(text);
	} catch {
		// reported below with the status
	}
	if (status < 200 || status >= 300 || !parsed.access_token) {
		// OAuth errors are `{error: "invalid_grant", error_description}`; a proxy or an API-style
		// endpoint may answer `{error: {message}}` instead.
		const error =
			typeof parsed.error === 'string'
				? parsed.error
				: (parsed.error as { message?: string } | undefined)?.message;
		const reason = error
			? `${error}${parsed.error_description ? `: ${parsed.error_description}` : ''}`
			: `HTTP ${status}`;
		throw new MailIntelError(
			`obtaining a Google access token at ${tokenUri.href} failed (${reason})`,
			{
				source: options.source,
				status,
				code: parsed.error === 'invalid_grant' ? 'AUTH_FAILED' : 'TOKEN_REFRESH_FAILED',
				field: options.field,
				retryable: status >= 500 || status === 429,
				hint: options.hint,
			},
		);
	}
	tokens.set(key, {
		token: parsed.access_token,
		expiresAt: now() + (parsed.expires_in ?? 3600) * 1000,
	});
	return parsed.access_token;
}

async function post(
	tokenUri: URL,
	body: string,
	options: GoogleTokenOptions,
): Promise<{ status: number; text: string }> {
	const headers = {
		'content-type': 'application/x-www-form-urlencoded',
		accept: 'application/json',
	};
	try {
		if (options.fetch) {
			const response = await options.fetch(tokenUri.href, { method: 'POST', headers, body });
			return { status: response.status, text: await response.text() };
		}
		const transport =
			options.transport ?? new HttpTransport({ source: options.source, field: options.field });
		// A refresh or JWT bearer grant only issues a token: repeating it is harmless.
		const response = await transport.request({
			method: 'POST',
			url: tokenUri.href,
			headers,
			body,
			idempotent: true,
		});
		return {
			status: response.status,
			text: await readText(response.body, { source: options.source }),
		};
	} catch (error) {
		throw new MailIntelError(
			`could not reach the token endpoint ${tokenUri.href}: ${errorMessage(error)}`,
			{
				source: options.source,
				code: 'TOKEN_ENDPOINT_UNREACHABLE',
				field: options.field,
				retryable: true,
				cause: error,
			},
		);
	}
}
