import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * dsx-connect's `shared/auth/hmac.py` (deep-instinct/dsx-connect@7f80724e) line for line, as
 * the fake core's own implementation. It is deliberately not lib/scan/dsx-connect/hmac.ts: the
 * fake is the other peer, so a mistake in the pack's signer or verifier shows up as a refused
 * call instead of being shared by both sides.
 */
function b64(bytes: Buffer): string {
	return bytes.toString('base64');
}

export function buildMessage(
	method: string,
	pathQ: string,
	ts: number,
	nonce: string,
	body: Buffer,
): Buffer {
	return Buffer.concat([Buffer.from(`${method.toUpperCase()}|${pathQ}|${ts}|${nonce}|`), body]);
}

export function makeHmacHeader(
	keyId: string,
	secret: string,
	method: string,
	pathQ: string,
	body: Buffer,
	ts = Math.floor(Date.now() / 1000),
	nonce = b64(randomBytes(12)),
): string {
	const sig = b64(
		createHmac('sha256', Buffer.from(secret))
			.update(buildMessage(method, pathQ, ts, nonce, body))
			.digest(),
	);
	return `DSX-HMAC key_id=${keyId}, ts=${ts}, nonce=${nonce}, sig=${sig}`;
}

/** Returns the key id, or throws with dsx-connect's reason (`missing_hmac`, `stale_request`, ...). */
export function verifyHmac(
	method: string,
	pathQ: string,
	body: Buffer,
	header: string,
	secretLookup: (kid: string) => string | undefined,
	skewSeconds = 60,
): string {
	if (!header || !header.startsWith('DSX-HMAC ')) throw new Error('missing_hmac');
	const parts = new Map<string, string>();
	for (const kv of header.slice('DSX-HMAC '.length).split(',')) {
		const at = kv.indexOf('=');
		if (at < 0) throw new Error('malformed_hmac');
		parts.set(kv.slice(0, at).trim(), kv.slice(at + 1).trim());
	}
	const kid = parts.get('key_id');
	if (!kid) throw new Error('missing_key_id');
	const secret = secretLookup(kid);
	if (!secret) throw new Error('unknown_key_id');
	const ts = Number.parseInt(parts.get('ts') ?? '0', 10);
	if (Math.abs(Math.floor(Date.now() / 1000) - ts) > skewSeconds) throw new Error('stale_request');
	const expected = Buffer.from(
		b64(
			createHmac('sha256', Buffer.from(secret))
				.update(buildMessage(method, pathQ, ts, parts.get('nonce') ?? '', body))
				.digest(),
		),
	);
	const given = Buffer.from(parts.get('sig') ?? '');
	if (expected.length !== given.length || !timingSafeEqual(expected, given))
		throw new Error('bad_signature');
	return kid;
}
