import vector from '../../../fixtures/dsx-connect/dsx-hmac-test-vector.json';
import {
	canonicalMessage,
	parseDsxHmacHeader,
	signDsxHmac,
	signedPathOf,
	verifyDsxHmac,
} from '../../../../lib/scan/dsx-connect/hmac';
import { dsxJson } from '../../../../lib/scan/dsx-connect/json';
import { ownerKey, clearOwner } from '../../../../lib/state/registry';

const credentials = { keyId: vector.key_id, secret: vector.secret };

describe('DSX-HMAC signer', () => {
	it("reproduces dsx-connect's test vector byte for byte (message, signature, header)", () => {
		const message = canonicalMessage(
			vector.method,
			vector.path_and_query,
			vector.ts,
			vector.nonce,
			Buffer.from(vector.body_utf8, 'utf8'),
		);
		expect(message.toString('utf8')).toBe(vector.canonical_message_utf8);
		const signed = signDsxHmac({
			...credentials,
			method: vector.method,
			pathAndQuery: vector.path_and_query,
			body: vector.body_utf8,
			ts: vector.ts,
			nonce: vector.nonce,
		});
		expect(signed.sig).toBe(vector.signature_b64);
		expect(signed.authorization).toBe(vector.authorization_header);
	});

	it('writes bodies as dsx-connect does: compact JSON, non-ASCII as lower-case \\uXXXX, nulls kept', () => {
		expect(dsxJson({ metainfo: 'Rechnung März €.pdf', size_in_bytes: null, a: [1, '😀'] })).toBe(
			'{"metainfo":"Rechnung M\\u00e4rz \\u20ac.pdf","size_in_bytes":null,"a":[1,"\\ud83d\\ude00"]}',
		);
	});

	it('signs the percent-decoded path with the query as sent', () => {
		expect(signedPathOf('https://n8n.example.com/webhook/abc%20d/read_file?x=%20y')).toBe(
			'/webhook/abc d/read_file?x=%20y',
		);
	});

	it('parses its own header and refuses anything else', () => {
		expect(parseDsxHmacHeader(vector.authorization_header)).toEqual({
			keyId: vector.key_id,
			ts: vector.ts,
			nonce: vector.nonce,
			sig: vector.signature_b64,
		});
		for (const header of [
			'Bearer abc',
			'DSX-HMAC key_id=a, ts=1',
			'DSX-HMAC key_id=a, ts=soon, nonce=n, sig=s',
			'DSX-HMAC key_id=a; ts=1; nonce=n; sig=s',
			`DSX-HMAC key_id=${'a'.repeat(2000)}, ts=1, nonce=n, sig=s`,
		])
			expect(parseDsxHmacHeader(header)).toBeUndefined();
	});
});

describe('DSX-HMAC verifier (inbound calls from dsx-connect)', () => {
	const owner = ownerKey('wf-hmac', 'node-1', false);
	const path = '/webhook/6f1d/dsx/read_file';
	const body = dsxJson({ location: 'graph://a@b.c/messages/m1/attachments/a1', metainfo: 'x.pdf' });
	const now = 1_800_000_000;
	const sign = (overrides: Partial<Parameters<typeof signDsxHmac>[0]> = {}) =>
		signDsxHmac({ ...credentials, method: 'POST', pathAndQuery: path, body, ts: now, ...overrides })
			.authorization;
	const verify = (
		authorization: string | undefined,
		overrides: Partial<Parameters<typeof verifyDsxHmac>[0]> = {},
	) =>
		verifyDsxHmac({
			authorization,
			method: 'POST',
			pathAndQuery: path,
			body: Buffer.from(body),
			credentials,
			owner,
			nowSeconds: now,
			...overrides,
		});

	afterEach(() => clearOwner(owner));

	it('accepts a genuine call once and refuses its replay', () => {
		const header = sign();
		expect(verify(header)).toEqual({ ok: true, keyId: vector.key_id });
		expect(verify(header)).toEqual({ ok: false, reason: 'replayed' });
	});

	it('accepts 60 s of clock skew either way and refuses 61 s (stale or from the future)', () => {
		expect(verify(sign({ ts: now - 60 }))).toMatchObject({ ok: true });
		expect(verify(sign({ ts: now + 60 }))).toMatchObject({ ok: true });
		expect(verify(sign({ ts: now - 61 }))).toEqual({ ok: false, reason: 'stale' });
		expect(verify(sign({ ts: now + 61 }))).toEqual({ ok: false, reason: 'stale' });
	});

	it('refuses a tampered body, method, path, query, key id or signature', () => {
		const header = sign();
		expect(verify(header, { body: Buffer.from(body.replace('x.pdf', 'y.pdf')) })).toEqual({
			ok: false,
			reason: 'bad_signature',
		});
		expect(verify(header, { method: 'PUT' })).toMatchObject({ reason: 'bad_signature' });
		expect(verify(header, { pathAndQuery: '/webhook/6f1d/dsx/item_action' })).toMatchObject({
			reason: 'bad_signature',
		});
		expect(verify(header, { pathAndQuery: `${path}?x=1` })).toMatchObject({
			reason: 'bad_signature',
		});
		expect(verify(header.replace(vector.key_id, 'b3RoZXIta2V5'))).toEqual({
			ok: false,
			reason: 'unknown_key_id',
		});
		const sig = header.slice(header.indexOf('sig=') + 4);
		const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
		expect(verify(header.replace(sig, flipped))).toMatchObject({ reason: 'bad_signature' });
		expect(verify(sign({ secret: 'another-secret' }))).toMatchObject({ reason: 'bad_signature' });
	});

	it('verifies the raw bytes: the same object serialised differently does not pass', () => {
		const header = sign();
		const reserialised = JSON.stringify(JSON.parse(body), null, 1);
		expect(verify(header, { body: Buffer.from(reserialised) })).toMatchObject({
			reason: 'bad_signature',
		});
	});

	it('refuses a missing or foreign Authorization header', () => {
		expect(verify(undefined)).toEqual({ ok: false, reason: 'missing' });
		expect(verify('Bearer token')).toEqual({ ok: false, reason: 'malformed' });
	});

	it('accepts the path of any candidate (public URL behind a proxy, or the path seen here)', () => {
		const header = sign({ pathAndQuery: '/n8n/webhook/6f1d/dsx/read_file' });
		expect(
			verify(header, { pathAndQuery: [path, '/n8n/webhook/6f1d/dsx/read_file'] }),
		).toMatchObject({
			ok: true,
		});
	});

	it('a forged call does not burn the nonce of the genuine one', () => {
		const genuine = sign();
		const forged = genuine.replace(/sig=.*/, 'sig=AAAA');
		expect(verify(forged)).toMatchObject({ reason: 'bad_signature' });
		expect(verify(genuine)).toMatchObject({ ok: true });
	});

	it('keeps replay memory per connector: deactivation forgets it', () => {
		const header = sign();
		expect(verify(header)).toMatchObject({ ok: true });
		clearOwner(owner);
		expect(verify(header)).toMatchObject({ ok: true });
	});
});
