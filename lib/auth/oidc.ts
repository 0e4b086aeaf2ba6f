import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';

import { MailIntelError, errorMessage, type ErrorSource } from '../errors';
import { readText } from '../http/body';
import { HttpTransport } from '../http/transport';
import { region } from '../state/registry';

/**
 * Verifies the OIDC bearer token Google puts on a Pub/Sub push (the Gmail push endpoint):
 * RS256 signature against Google's JWKS (URL configurable, so a test server can serve keys),
 * issuer, audience, expiry and, when given, the push subscription's service account email.
 * Only RS256 is accepted: a token cannot choose a weaker algorithm (`none`, HS256).
 */
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];
/** Clock skew tolerated on `exp`/`iat` (Google's own libraries allow 5 minutes). */
const SKEW_S = 300;

export interface OidcClaims {
	iss: string;
	aud: string;
	exp: number;
	iat?: number;
	email?: string;
	email_verified?: boolean;
	sub?: string;
}

export interface OidcOptions {
	/** The audience the push subscription was created with. */
	audience: string;
	jwksUrl?: string;
	issuers?: string[];
	/** The push subscription's service account; any when undefined. */
	email?: string;
	source?: ErrorSource;
	transport?: HttpTransport;
	now?: () => number;
}

const keySets = region<Record<string, JsonWebKey>>({
	name: 'auth.jwks',
	holds: 'the signing keys (by kid) of a JWKS URL',
	key: 'JWKS URL',
	maxEntries: 16,
	ttlMs: 3600_000,
	clearedWhen: 'after an hour; at once when a token names a kid the set lacks (keys rotate)',
});

export async function verifyGoogleOidcToken(
	authorization: string | undefined,
	options: OidcOptions,
): Promise<OidcClaims> {
	const source = options.source ?? 'gmail';
	const refuse = (reason: string) =>
		new MailIntelError(`push refused: ${reason}`, { source, status: 401, code: 'BAD_PUSH_TOKEN' });
	const token = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(
		authorization?.trim() ?? '',
	)?.[1];
	if (!token) throw refuse('no bearer token');
	const [headerText, payloadText, signatureText] = token.split('.');
	let header: { alg?: string; kid?: string };
	let claims: OidcClaims;
	try {
		header = JSON.parse(Buffer.from(headerText, 'base64url').toString('utf8'));
		claims = JSON.parse(Buffer.from(payloadText, 'base64url').toString('utf8'));
	} catch {
		throw refuse('the token is not a JWT');
	}
	if (header.alg !== 'RS256') throw refuse(`algorithm ${String(header.alg)} is not RS256`);
	const jwk = await signingKey(String(header.kid ?? ''), options);
	if (!jwk) throw refuse(`no key ${String(header.kid)} in the JWKS`);
	const valid = verify(
		'RSA-SHA256',
		Buffer.from(`${headerText}.${payloadText}`),
		createPublicKey({ key: jwk, format: 'jwk' }),
		Buffer.from(signatureText, 'base64url'),
	);
	if (!valid) throw refuse('bad signature');
	const now = (options.now ?? Date.now)() / 1000;
	if (!(options.issuers ?? GOOGLE_ISSUERS).includes(claims.iss))
		throw refuse(`issuer ${claims.iss}`);
	if (claims.aud !== options.audience) throw refuse('wrong audience');
	if (typeof claims.exp !== 'number' || claims.exp + SKEW_S < now) throw refuse('expired');
	if (typeof claims.iat === 'number' && claims.iat - SKEW_S > now)
		throw refuse('issued in the future');
	if (
		options.email !== undefined &&
		(claims.email !== options.email || claims.email_verified === false)
	)
		throw refuse("not the push subscription's service account");
	return claims;
}

async function signingKey(kid: string, options: OidcOptions): Promise<JsonWebKey | undefined> {
	const url = options.jwksUrl ?? GOOGLE_JWKS_URL;
	const known = keySets.get(url);
	if (known?.[kid]) return known[kid];
	// Unknown kid: Google rotated its keys (or the set expired): read them again, once.
	const fresh = await fetchKeys(url, options);
	keySets.set(url, fresh);
	return fresh[kid];
}

async function fetchKeys(url: string, options: OidcOptions): Promise<Record<string, JsonWebKey>> {
	const source = options.source ?? 'gmail';
	try {
		const transport = options.transport ?? new HttpTransport({ source, field: 'jwksUrl' });
		const response = await transport.request({ method: 'GET', url });
		const text = await readText(response.body, { source, maxBytes: 1024 * 1024 });
		if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
		const keys = (JSON.parse(text) as { keys?: Array<JsonWebKey & { kid?: string }> }).keys ?? [];
		return Object.fromEntries(keys.filter((key) => key.kid).map((key) => [key.kid as string, key]));
	} catch (error) {
		throw new MailIntelError(`could not read the signing keys at ${url}: ${errorMessage(error)}`, {
			source,
			code: 'JWKS_UNREACHABLE',
			field: 'jwksUrl',
			retryable: true,
			cause: error,
		});
	}
}
