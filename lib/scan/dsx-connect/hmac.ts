import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { region } from '../../state/registry';

/**
 * DSX-HMAC, as dsx-connect's `shared/auth/hmac.py` (deep-instinct/dsx-connect@7f80724e) does it:
 *
 *   Authorization: DSX-HMAC key_id=<kid>, ts=<unix seconds>, nonce=<b64>, sig=<b64>
 *   sig = base64(HMAC-SHA256(utf8(secret), "METHOD|path?query|ts|nonce|" + raw body bytes))
 *
 * The secret is the string dsx-connect hands out at registration, used as UTF-8 bytes (it looks
 * like base64 but is never decoded). Requests older or newer than 60 s are refused. The core and
 * its connectors both sign with this; connector *responses* are not signed.
 */
export const DSX_HMAC_SCHEME = 'DSX-HMAC';
/** dsx-connect's `skew_seconds` default: a signed call is valid 60 s either side of its ts. */
export const MAX_SKEW_SECONDS = 60;

export interface HmacCredentials {
	keyId: string;
	/** The secret string as dsx-connect returned it. */
	secret: string;
}

export interface SignInput extends HmacCredentials {
	method: string;
	/** The path as the receiver sees it (percent-decoded), plus `?query` when there is one. */
	pathAndQuery: string;
	body?: Uint8Array | string;
	/** Unix seconds; default now. */
	ts?: number;
	/** Default: base64 of 12 random bytes, as dsx-connect's own signer. */
	nonce?: string;
}

export interface Signed {
	authorization: string;
	ts: number;
	nonce: string;
	sig: string;
}

function bytesOf(body: Uint8Array | string | undefined): Buffer {
	if (body === undefined) return Buffer.alloc(0);
	return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
}

/** `METHOD|path?query|ts|nonce|` followed by the body bytes as they are (no re-encoding). */
export function canonicalMessage(
	method: string,
	pathAndQuery: string,
	ts: number | string,
	nonce: string,
	body?: Uint8Array | string,
): Buffer {
	return Buffer.concat([
		Buffer.from(`${method.toUpperCase()}|${pathAndQuery}|${ts}|${nonce}|`, 'utf8'),
		bytesOf(body),
	]);
}

function signature(secret: string, message: Buffer): string {
	return createHmac('sha256', Buffer.from(secret, 'utf8')).update(message).digest('base64');
}

export function signDsxHmac(input: SignInput): Signed {
	const ts = input.ts ?? Math.floor(Date.now() / 1000);
	const nonce = input.nonce ?? randomBytes(12).toString('base64');
	const sig = signature(
		input.secret,
		canonicalMessage(input.method, input.pathAndQuery, ts, nonce, input.body),
	);
	return {
		authorization: `${DSX_HMAC_SCHEME} key_id=${input.keyId}, ts=${ts}, nonce=${nonce}, sig=${sig}`,
		ts,
		nonce,
		sig,
	};
}

export interface ParsedAuthorization {
	keyId: string;
	ts: number;
	nonce: string;
	sig: string;
}

/** Longest header accepted: the four fields are short; anything longer is not a DSX-HMAC header. */
const MAX_HEADER_LENGTH = 1024;
const FIELD = /^(key_id|ts|nonce|sig)=(.*)$/;

/**
 * `DSX-HMAC key_id=..., ts=..., nonce=..., sig=...` (fields split on `,`, each trimmed, split
 * at the first `=`, as the Python parser does). Returns undefined for anything else.
 */
export function parseDsxHmacHeader(header: string | undefined): ParsedAuthorization | undefined {
	if (!header || header.length > MAX_HEADER_LENGTH || !header.startsWith(`${DSX_HMAC_SCHEME} `))
		return undefined;
	const fields = new Map<string, string>();
	for (const part of header.slice(DSX_HMAC_SCHEME.length + 1).split(',')) {
		const match = FIELD.exec(part.trim());
		if (!match) return undefined;
		fields.set(match[1], match[2]);
	}
	const ts = fields.get('ts');
	if (!ts || !/^\d{1,12}$/.test(ts)) return undefined;
	const keyId = fields.get('key_id');
	const nonce = fields.get('nonce');
	const sig = fields.get('sig');
	if (!keyId || !nonce || !sig) return undefined;
	return { keyId, ts: Number(ts), nonce, sig };
}

/** Why an inbound call was refused (answered 401; the reason goes to the log, not the caller). */
export type HmacRefusal =
	| 'missing'
	| 'malformed'
	| 'unknown_key_id'
	| 'stale'
	| 'bad_signature'
	| 'replayed';

export type HmacVerdict = { ok: true; keyId: string } | { ok: false; reason: HmacRefusal };

export interface VerifyInput {
	authorization: string | undefined;
	method: string;
	/**
	 * The paths the caller may have signed, each percent-decoded with its `?query`: the public URL
	 * the connector registered and the path this server saw (they differ behind a path-rewriting
	 * proxy). The signature must match one of them.
	 */
	pathAndQuery: string | string[];
	/** The raw body bytes as received. */
	body: Uint8Array | string | undefined;
	credentials: HmacCredentials;
	/** Who verifies (a registry owner): replays are remembered per owner. */
	owner: string;
	nowSeconds?: number;
	maxSkewSeconds?: number;
}

/**
 * Nonces of accepted calls, so a captured call cannot be played again while its ts is still
 * acceptable. dsx-connect keeps none; a connector facing a network should.
 */
const seenNonces = region<true>({
	name: 'dsxConnect.nonces',
	holds: 'the nonce of one accepted DSX-HMAC call',
	key: 'owner:keyId:nonce',
	maxEntries: 100_000,
	// A ts is acceptable from ts-60 s to ts+60 s: remembering a nonce 120 s from the moment it was
	// first accepted covers every moment a replay of it could still pass the time check.
	ttlMs: 2 * MAX_SKEW_SECONDS * 1000 + 5_000,
	clearedWhen: 'the connector trigger is deactivated',
});

/**
 * Verifies one inbound call: scheme, key id, time (±60 s), signature in constant time over the
 * raw body, then the nonce (only for a call whose signature is right, so forged calls cannot
 * fill the cache or burn a genuine nonce).
 */
export function verifyDsxHmac(input: VerifyInput): HmacVerdict {
	if (!input.authorization) return { ok: false, reason: 'missing' };
	const parsed = parseDsxHmacHeader(input.authorization);
	if (!parsed) return { ok: false, reason: 'malformed' };
	if (!equalText(parsed.keyId, input.credentials.keyId))
		return { ok: false, reason: 'unknown_key_id' };
	const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
	if (Math.abs(now - parsed.ts) > (input.maxSkewSeconds ?? MAX_SKEW_SECONDS))
		return { ok: false, reason: 'stale' };
	const paths = Array.isArray(input.pathAndQuery) ? input.pathAndQuery : [input.pathAndQuery];
	const given = Buffer.from(parsed.sig, 'utf8');
	let matched = false;
	for (const path of new Set(paths)) {
		const expected = Buffer.from(
			signature(
				input.credentials.secret,
				canonicalMessage(input.method, path, parsed.ts, parsed.nonce, input.body),
			),
			'utf8',
		);
		// Every candidate is computed and compared, so timing says nothing about which matched.
		if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
	}
	if (!matched) return { ok: false, reason: 'bad_signature' };
	const nonceKey = `${input.owner}:${parsed.keyId}:${parsed.nonce}`;
	if (seenNonces.has(nonceKey)) return { ok: false, reason: 'replayed' };
	seenNonces.set(nonceKey, true);
	return { ok: true, keyId: parsed.keyId };
}

/** Constant-time equality of two strings (length leaks, content does not). */
function equalText(a: string, b: string): boolean {
	const left = Buffer.from(a, 'utf8');
	const right = Buffer.from(b, 'utf8');
	return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * What a signer puts between the first two `|`: the URL's path, percent-decoded (dsx-connect
 * verifies against the decoded path its web framework hands it), and `?query` as sent.
 */
export function signedPathOf(url: string | URL): string {
	const parsed = typeof url === 'string' ? new URL(url, 'http://path.invalid') : url;
	let path = parsed.pathname;
	try {
		path = decodeURIComponent(path);
	} catch {
		// A malformed escape stays as sent: the peer cannot decode it either.
	}
	return parsed.search ? `${path}${parsed.search}` : path;
}
