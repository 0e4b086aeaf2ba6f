import { createHash } from 'node:crypto';

/**
 * The fake's stand-in for a password-protected archive (a real one would need a zip library in
 * the fake): `DSXA-FAKE-ENCRYPTED\n`, the hex SHA-256 of the password, `\n`, then the content
 * XOR-ed with the password's bytes. The fake reads the content back only when the request's
 * `scan_password` (base64) is that password, so EICAR inside is found only with the right one.
 */
export const ENCRYPTED_MARKER = Buffer.from('DSXA-FAKE-ENCRYPTED\n');
export const ENCRYPTED_HEADER_BYTES = ENCRYPTED_MARKER.length + 64 + 1;

export function passwordDigest(password: string): string {
	return createHash('sha256').update(password, 'utf8').digest('hex');
}

export function encryptForFake(content: Buffer, password: string): Buffer {
	return Buffer.concat([
		ENCRYPTED_MARKER,
		Buffer.from(`${passwordDigest(password)}\n`),
		xor(content, Buffer.from(password, 'utf8')),
	]);
}

export function xor(data: Buffer, key: Buffer): Buffer {
	const out = Buffer.alloc(data.length);
	for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[i % key.length]!;
	return out;
}
