import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A self-signed certificate made with openssl (the fake's TLS identity, or an app's client certificate). */
export interface SelfSigned {
	dir: string;
	keyPem: string;
	certPem: string;
	certPath: string;
	/** Hex SHA-256 of the DER certificate: what Entra ID shows and MSAL's `thumbprintSha256` wants. */
	thumbprintSha256: string;
}

export function makeSelfSigned(
	commonName: string,
	altNames = 'IP:127.0.0.1,DNS:localhost',
): SelfSigned {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-fake-'));
	const keyPath = path.join(dir, 'key.pem');
	const certPath = path.join(dir, 'cert.pem');
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-sha256',
			'-days',
			'2',
			'-subj',
			`/CN=${commonName}`,
			'-addext',
			`subjectAltName=${altNames}`,
			'-keyout',
			keyPath,
			'-out',
			certPath,
		],
		{ stdio: 'ignore' },
	);
	const certPem = fs.readFileSync(certPath, 'utf8');
	const der = new X509Certificate(certPem).raw;
	return {
		dir,
		keyPem: fs.readFileSync(keyPath, 'utf8'),
		certPem,
		certPath,
		thumbprintSha256: createHash('sha256').update(der).digest('hex'),
	};
}
