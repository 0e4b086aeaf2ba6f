import { X509Certificate } from 'node:crypto';

import { MailIntelError } from '../../errors';

/**
 * How to reach and log in to one IMAP account. The credential `Email Intel IMAP` maps 1:1
 * onto this shape; `field` names in errors refer to these keys so the node can tell the
 * user which credential field to fix.
 */
export type ImapSecurity = 'tls' | 'starttls' | 'none';

export type ImapAuth =
	| { method: 'password'; password: string }
	/** Google "authorized user" JSON (client_id, client_secret, refresh_token, token_uri), XOAUTH2. */
	| { method: 'googleTokenJson'; googleTokenJson: string }
	/** A ready OAuth2 access token (XOAUTH2), refreshed by someone else. */
	| { method: 'accessToken'; accessToken: string };

export interface ImapSettings {
	host: string;
	port: number;
	security: ImapSecurity;
	/**
	 * PEM of the CA(s) the server's certificate must chain to, instead of the system's trusted
	 * CAs: a private CA, or a self-signed server certificate itself. Verification stays full
	 * (chain, host name, validity dates). Checked by `readCaCertificate` when read.
	 */
	caCertificate?: string;
	/** Turns every certificate check off (chain, host name, expiry): insecure, lab servers only. */
	skipTlsVerification?: boolean;
	user: string;
	auth: ImapAuth;
	/** Connect/greeting budget in milliseconds. */
	connectTimeoutMs?: number;
}

/** The credential field holding the secret for an auth method (named in auth errors). */
export function secretField(auth: ImapAuth): 'password' | 'googleTokenJson' | 'accessToken' {
	return auth.method;
}

/** The credential field's label, as errors and hints name it. */
export const CA_CERTIFICATE_LABEL = 'CA Certificate (PEM)';
/** A bundle of a few CA certificates is a few kB; anything far larger is not one. */
const MAX_CA_PEM_CHARS = 256 * 1024;
const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';

/**
 * The credential's CA field, checked before any connection: one or more PEM certificates
 * (a bundle may carry intermediates), each parseable and not expired. Empty means "use the
 * system's CAs". Blocks are found with indexOf, in one pass over a bounded text.
 */
export function readCaCertificate(text: string | undefined, now = new Date()): string | undefined {
	const pem = (text ?? '').trim();
	if (pem === '') return undefined;
	const fail = (problem: string) =>
		new MailIntelError(`${CA_CERTIFICATE_LABEL}: ${problem}`, {
			source: 'config',
			code: 'TLS_CA_INVALID',
			field: 'caCertificate',
			hint: `Paste the certificate of the CA that issued the IMAP server's certificate, in PEM form (${PEM_BEGIN} ... ${PEM_END}), into "${CA_CERTIFICATE_LABEL}" of the Email Intel IMAP credential.`,
		});
	if (pem.length > MAX_CA_PEM_CHARS) throw fail(`longer than ${MAX_CA_PEM_CHARS} characters`);
	const blocks: string[] = [];
	for (let start = pem.indexOf(PEM_BEGIN); start >= 0; start = pem.indexOf(PEM_BEGIN, start)) {
		const end = pem.indexOf(PEM_END, start);
		if (end < 0) throw fail(`a "${PEM_BEGIN}" line has no "${PEM_END}"`);
		blocks.push(pem.slice(start, end + PEM_END.length));
		start = end + PEM_END.length;
	}
	if (blocks.length === 0) throw fail('no PEM certificate found');
	blocks.forEach((block, index) => {
		let certificate: X509Certificate;
		try {
			certificate = new X509Certificate(block);
		} catch {
			throw fail(`certificate ${index + 1} is not a valid X.509 certificate`);
		}
		if (new Date(certificate.validTo) < now)
			throw fail(
				`certificate ${index + 1} (${certificate.subject.replace(/\n/g, ', ')}) expired on ${certificate.validTo}`,
			);
	});
	return blocks.join('\n');
}
