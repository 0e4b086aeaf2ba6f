import { createHash } from 'node:crypto';

import { MailIntelError, errorMessage, type ErrorSource } from '../errors';
import { readText } from '../http/body';
import { HttpTransport } from '../http/transport';

/**
 * The Google "authorized user" token JSON (what `gcloud auth application-default login` and
 * google-auth write, and the OpenCTI connector's `google_token_json`), refreshed to an access
 * token: used by the IMAP XOAUTH2 login, and by the Gmail trigger to come.
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

export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** A token must outlive the work it is fetched for: treat it as expired this long before. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000;
/** Refreshed tokens kept in memory (per client id + refresh token + token_uri); bounded. */
const CACHE_CAP = 64;

/** Anything fetch-shaped, for tests that stand in for the token endpoint without a server. */
export type FetchLike = (
	url: string,
	init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface GoogleTokenOptions {
	/** Whose errors these are (`imap` for the IMAP login, `gmail` for the Gmail trigger). */
	source: ErrorSource;
	/** The credential field holding the JSON, named by every error. */
	field: string;
	fetch?: FetchLike;
	transport?: HttpTransport;
	now?: () => number;
}

const cache = new Map<string, { token: string; expiresAt: number }>();

export function parseGoogleTokenJson(
	text: string,
	field = 'googleTokenJson',
): GoogleAuthorizedUser {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new MailIntelError(`the Google Token JSON is not valid JSON: ${errorMessage(error)}`, {
			source: 'config',
			code: 'BAD_TOKEN_JSON',
			field,
			hint: 'Paste the authorized-user JSON (client_id, client_secret, refresh_token, token_uri) as produced by `gcloud auth application-default login` or google-auth.',
		});
	}
	const json = (value ?? {}) as Record<string, unknown>;
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

/**
 * The endpoint the client secret and refresh token are sent to: https only, so they never cross
 * the network in clear. Loopback is the one exception (a local identity provider in tests).
 */
export function tokenUriOf(json: GoogleAuthorizedUser, field: string): URL {
	const raw = json.token_uri || GOOGLE_TOKEN_URI;
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw badTokenUri(`"${raw}" is not a URL`, field);
	}
	const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
		throw badTokenUri(
			`${url.origin} is not https: the client secret and refresh token would travel in clear`,
			field,
		);
	return url;
}

function badTokenUri(detail: string, field: string): MailIntelError {
	return new MailIntelError(`token_uri in the Google Token JSON is refused: ${detail}`, {
		source: 'config',
		code: 'BAD_TOKEN_URI',
		field,
		hint: `Set "token_uri" in the token JSON to ${GOOGLE_TOKEN_URI} (or remove it: that is the default).`,
	});
}

/** An access token for the JSON: its own while valid, else from memory, else a refresh (RFC 6749 §6). */
export async function googleAccessToken(
	json: GoogleAuthorizedUser,
	options: GoogleTokenOptions,
): Promise<string> {
	const now = options.now ?? Date.now;
	if (json.token && json.expiry && Date.parse(json.expiry) - now() > TOKEN_EXPIRY_MARGIN_MS)
		return json.token;
	const tokenUri = tokenUriOf(json, options.field);
	const key = createHash('sha256')
		.update(`${json.client_id}\n${json.refresh_token}\n${tokenUri.href}`)
		.digest('hex');
	const cached = cache.get(key);
	if (cached && cached.expiresAt - now() > TOKEN_EXPIRY_MARGIN_MS) return cached.token;
	const { status, text } = await post(tokenUri, json, options);
	let parsed: {
		access_token?: string;
		expires_in?: number;
		error?: string;
		error_description?: string;
	} = {};
	try {
		parsed = JSON.parse(text);
	} catch {
		// reported below with the status
	}
	if (status < 200 || status >= 300 || !parsed.access_token) {
		const reason = parsed.error
			? `${parsed.error}${parsed.error_description ? `: ${parsed.error_description}` : ''}`
			: `HTTP ${status}`;
		throw new MailIntelError(
			`refreshing the Google access token at ${tokenUri.href} failed (${reason})`,
			{
				source: options.source,
				status,
				code: parsed.error === 'invalid_grant' ? 'AUTH_FAILED' : 'TOKEN_REFRESH_FAILED',
				field: options.field,
				retryable: status >= 500 || status === 429,
				hint: 'Check client_id, client_secret and refresh_token in the Google Token JSON; a revoked refresh token needs a new consent.',
			},
		);
	}
	cache.delete(key);
	cache.set(key, {
		token: parsed.access_token,
		expiresAt: now() + (parsed.expires_in ?? 3600) * 1000,
	});
	while (cache.size > CACHE_CAP) cache.delete(cache.keys().next().value as string);
	return parsed.access_token;
}

async function post(
	tokenUri: URL,
	json: GoogleAuthorizedUser,
	options: GoogleTokenOptions,
): Promise<{ status: number; text: string }> {
	const body = new URLSearchParams({
		grant_type: 'refresh_token',
		client_id: json.client_id,
		client_secret: json.client_secret,
		refresh_token: json.refresh_token,
	}).toString();
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
		// A refresh grant only issues a token: repeating it is harmless.
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
