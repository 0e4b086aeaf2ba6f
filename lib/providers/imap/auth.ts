import { MailIntelError, errorMessage } from '../../errors';
import type { ImapAuth } from './settings';

/** What imapflow's `auth` option needs, besides the user name. */
export type ImapLogin = { pass: string } | { accessToken: string };

/** The fields of a Google "authorized user" JSON that XOAUTH2 needs (as the OpenCTI connector's `google_token_json`). */
interface GoogleAuthorizedUser {
	client_id: string;
	client_secret: string;
	refresh_token: string;
	token_uri?: string;
	/** A cached access token and its expiry, as google-auth writes them; reused while valid. */
	token?: string;
	expiry?: string;
}

const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** A cached token must outlive the poll: skip it when it expires within this margin. */
const TOKEN_EXPIRY_MARGIN_MS = 60_000;

export type FetchLike = (
	url: string,
	init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{
	ok: boolean;
	status: number;
	text(): Promise<string>;
}>;

/** Resolves the credential's auth method to a password or a fresh access token. */
export async function resolveLogin(
	auth: ImapAuth,
	fetchImpl: FetchLike = fetch as unknown as FetchLike,
): Promise<ImapLogin> {
	switch (auth.method) {
		case 'password':
			if (!auth.password) throw missing('password', 'Password');
			return { pass: auth.password };
		case 'accessToken':
			if (!auth.accessToken) throw missing('accessToken', 'Access Token');
			return { accessToken: auth.accessToken.trim() };
		case 'googleTokenJson':
			return {
				accessToken: await refreshGoogleToken(
					parseGoogleTokenJson(auth.googleTokenJson),
					fetchImpl,
				),
			};
	}
}

export function parseGoogleTokenJson(text: string): GoogleAuthorizedUser {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new MailIntelError(`the Google Token JSON is not valid JSON: ${errorMessage(error)}`, {
			source: 'config',
			code: 'BAD_TOKEN_JSON',
			field: 'googleTokenJson',
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
			field: 'googleTokenJson',
			hint: "An authorized-user JSON needs client_id, client_secret and refresh_token (token_uri defaults to Google's).",
		});
	}
	return json as unknown as GoogleAuthorizedUser;
}

/** OAuth 2.0 refresh-token grant (RFC 6749 §6) at the JSON's `token_uri`. */
async function refreshGoogleToken(
	json: GoogleAuthorizedUser,
	fetchImpl: FetchLike,
): Promise<string> {
	if (json.token && json.expiry && Date.parse(json.expiry) - Date.now() > TOKEN_EXPIRY_MARGIN_MS)
		return json.token;
	const tokenUri = json.token_uri || GOOGLE_TOKEN_URI;
	const body = new URLSearchParams({
		grant_type: 'refresh_token',
		client_id: json.client_id,
		client_secret: json.client_secret,
		refresh_token: json.refresh_token,
	}).toString();
	let response: Awaited<ReturnType<FetchLike>>;
	try {
		response = await fetchImpl(tokenUri, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
			body,
		});
	} catch (error) {
		throw new MailIntelError(
			`could not reach the token endpoint ${tokenUri}: ${errorMessage(error)}`,
			{
				source: 'imap',
				code: 'TOKEN_ENDPOINT_UNREACHABLE',
				field: 'googleTokenJson',
				retryable: true,
				cause: error,
			},
		);
	}
	const text = await response.text();
	let parsed: { access_token?: string; error?: string; error_description?: string } = {};
	try {
		parsed = JSON.parse(text);
	} catch {
		// reported below with the status
	}
	if (!response.ok || !parsed.access_token) {
		const reason = parsed.error
			? `${parsed.error}${parsed.error_description ? `: ${parsed.error_description}` : ''}`
			: `HTTP ${response.status}`;
		throw new MailIntelError(
			`refreshing the Google access token at ${tokenUri} failed (${reason})`,
			{
				source: 'imap',
				status: response.status,
				code: parsed.error === 'invalid_grant' ? 'AUTH_FAILED' : 'TOKEN_REFRESH_FAILED',
				field: 'googleTokenJson',
				retryable: response.status >= 500 || response.status === 429,
				hint: 'Check client_id, client_secret and refresh_token in the Google Token JSON; a revoked refresh token needs a new consent.',
			},
		);
	}
	return parsed.access_token;
}

function missing(field: string, label: string): MailIntelError {
	return new MailIntelError(`the ${label} field of the Email Intel IMAP credential is empty`, {
		source: 'config',
		code: 'MISSING_SECRET',
		field,
		hint: `Fill in ${label}, or choose another Authentication method.`,
	});
}
