import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { MailIntelError } from '../../../../lib/errors';
import { readCaCertificate } from '../../../../lib/providers/imap/settings';
import { verifyImapSettings } from '../../../../lib/providers/imap/verify';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { mailIntelFailure, settingsFor } from './poll-helper';

/**
 * "CA Certificate (PEM)" against a real Dovecot whose certificate the test's own private CA
 * signed: the CA makes the connection verify, a wrong CA fails naming the field, and the host
 * name and expiry are still checked. "Skip TLS Verification (Insecure)" is the only way past.
 */
const run = promisify(execFile);
let server: DovecotServer;
let dir: string;
const pem = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

async function makeCa(name: string): Promise<void> {
	await run('openssl', [
		'req',
		'-x509',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:prime256v1',
		'-nodes',
		'-days',
		'2',
		'-subj',
		`/CN=${name}`,
		'-addext',
		'basicConstraints=critical,CA:TRUE',
		'-addext',
		'keyUsage=critical,keyCertSign,cRLSign',
		'-keyout',
		path.join(dir, `${name}.key`),
		'-out',
		path.join(dir, `${name}.pem`),
	]);
}

/** A server certificate signed by `ca` for `altNames`; `days: -1` makes it already expired. */
async function makeServerCert(name: string, ca: string, altNames: string, days = 2) {
	await run('openssl', [
		'req',
		'-new',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:prime256v1',
		'-nodes',
		'-subj',
		'/CN=imap server',
		'-keyout',
		path.join(dir, `${name}.key`),
		'-out',
		path.join(dir, `${name}.csr`),
	]);
	fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${altNames}\n`);
	await run('openssl', [
		'x509',
		'-req',
		'-in',
		path.join(dir, `${name}.csr`),
		'-CA',
		path.join(dir, `${ca}.pem`),
		'-CAkey',
		path.join(dir, `${ca}.key`),
		'-set_serial',
		String(Date.now()),
		'-days',
		String(days),
		'-extfile',
		path.join(dir, `${name}.ext`),
		'-out',
		path.join(dir, `${name}.pem`),
	]);
}

/** Dovecot reads its certificate at start: swap the files and restart (same ports, same mail). */
async function serve(name: string): Promise<void> {
	fs.copyFileSync(path.join(dir, `${name}.pem`), path.join(server.lab, 'ssl/cert.pem'));
	fs.copyFileSync(path.join(dir, `${name}.key`), path.join(server.lab, 'ssl/key.pem'));
	await server.kill();
	await server.start();
}

beforeAll(async () => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-ca-'));
	server = await startDovecot();
	await makeCa('private-ca');
	await makeCa('other-ca');
	await makeServerCert('good', 'private-ca', 'DNS:localhost,IP:127.0.0.1');
	await makeServerCert('wrong-name', 'private-ca', 'DNS:imap.example.test');
	await makeServerCert('expired', 'private-ca', 'DNS:localhost,IP:127.0.0.1', -1);
});
afterAll(async () => {
	await server?.stop();
	if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const tls = (overrides = {}) =>
	settingsFor(server, { port: server.tlsPort, security: 'tls', ...overrides });

describe('a server certificate from a private CA', () => {
	beforeAll(() => serve('good'));

	test('verifies with that CA in the credential, over TLS and STARTTLS', async () => {
		const caCertificate = readCaCertificate(pem('private-ca.pem'));
		await expect(verifyImapSettings(tls({ caCertificate }))).resolves.toHaveProperty('messages');
		await expect(
			verifyImapSettings(settingsFor(server, { security: 'starttls', caCertificate })),
		).resolves.toHaveProperty('messages');
	});

	test('fails with another CA, naming the CA field in the message and the fix', async () => {
		const error = await mailIntelFailure(
			verifyImapSettings(tls({ caCertificate: readCaCertificate(pem('other-ca.pem')) })),
		);
		expect(error.code).toBe('TLS_UNTRUSTED');
		expect(error.field).toBe('caCertificate');
		expect(error.message).toBe(
			`the IMAP server at 127.0.0.1:${server.tlsPort} presented a certificate that the CA in "CA Certificate (PEM)" did not sign (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
		);
	});

	test("fails without it (the system's CAs do not know it), pointing at the CA field first", async () => {
		const error = await mailIntelFailure(verifyImapSettings(tls()));
		expect(error.field).toBe('caCertificate');
		expect(error.hint).toMatch(/^If the server uses a private CA/);
	});
});

test('the host name is still checked when the CA is given', async () => {
	await serve('wrong-name');
	const caCertificate = readCaCertificate(pem('private-ca.pem'));
	const error = await mailIntelFailure(verifyImapSettings(tls({ caCertificate })));
	expect(error.code).toBe('TLS_HOSTNAME');
	expect(error.field).toBe('host');
	expect(error.message).toContain('is not for "127.0.0.1"');
	// The insecure switch is the one way past, and it says what it does.
	await expect(
		verifyImapSettings(tls({ caCertificate, skipTlsVerification: true })),
	).resolves.toHaveProperty('messages');
});

test('expiry is still checked when the CA is given', async () => {
	await serve('expired');
	const error = await mailIntelFailure(
		verifyImapSettings(tls({ caCertificate: readCaCertificate(pem('private-ca.pem')) })),
	);
	expect(error.code).toBe('TLS_EXPIRED');
	expect(error.message).toContain('is expired (CERT_HAS_EXPIRED)');
});

test('a CA field that is not a PEM certificate is refused before any connection, naming it', () => {
	const refused = (text: string) => {
		try {
			readCaCertificate(text);
		} catch (error) {
			expect(error).toBeInstanceOf(MailIntelError);
			return error as MailIntelError;
		}
		throw new Error('accepted');
	};
	expect(readCaCertificate('  ')).toBeUndefined();
	const garbage = refused('not a certificate');
	expect(garbage.field).toBe('caCertificate');
	expect(garbage.message).toBe('CA Certificate (PEM): no PEM certificate found');
	expect(refused('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----').message).toBe(
		'CA Certificate (PEM): certificate 1 is not a valid X.509 certificate',
	);
	expect(refused('-----BEGIN CERTIFICATE-----\n'.repeat(5_000)).message).toContain(
		'has no "-----END CERTIFICATE-----"',
	);
});
