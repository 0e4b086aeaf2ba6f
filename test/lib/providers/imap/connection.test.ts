import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { resolveLogin } from '../../../../lib/providers/imap/auth';
import { verifyImapSettings } from '../../../../lib/providers/imap/verify';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { googleTokenJson, startIdentityProvider, type IdentityProvider } from './identity-provider';
import { mailIntelFailure, settingsFor } from './poll-helper';

/** The credential test against a real Dovecot: each failure names the credential field to fix. */
let server: DovecotServer;

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
});

test('plain connection with password: connect, log in, STATUS INBOX', async () => {
	await server.seed('alice', 'INBOX', ['Subject: hi\r\n\r\nbody\r\n']);
	await expect(verifyImapSettings(settingsFor(server))).resolves.toEqual({ messages: 1 });
});

test('TLS to a self-signed server is refused by default, naming the CA field and the insecure switch', async () => {
	const error = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { port: server.tlsPort, security: 'tls' })),
	);
	expect(error.code).toBe('TLS_UNTRUSTED');
	expect(error.field).toBe('caCertificate');
	expect(error.hint).toContain('CA Certificate (PEM)');
	expect(error.hint).toContain('Skip TLS Verification (Insecure)');
});

test('TLS and STARTTLS work once verification is skipped', async () => {
	await expect(
		verifyImapSettings(
			settingsFor(server, { port: server.tlsPort, security: 'tls', skipTlsVerification: true }),
		),
	).resolves.toHaveProperty('messages');
	await expect(
		verifyImapSettings(settingsFor(server, { security: 'starttls', skipTlsVerification: true })),
	).resolves.toHaveProperty('messages');
	const starttls = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { security: 'starttls' })),
	);
	expect(starttls.field).toBe('caCertificate');
});

test('TLS against the plain port says the Security mode does not match the port', async () => {
	const error = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { security: 'tls', skipTlsVerification: true })),
	);
	expect(['security', 'port']).toContain(error.field);
});

test('wrong password: the error names the Password field', async () => {
	const error = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { auth: { method: 'password', password: 'wrong' } })),
	);
	expect(error.code).toBe('AUTH_FAILED');
	expect(error.field).toBe('password');
	expect(error.hint).toMatch(/User and Password/);
});

test('unknown user: also an auth failure naming the fields', async () => {
	const error = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { user: 'mallory' })),
	);
	expect(error.code).toBe('AUTH_FAILED');
});

test('DNS failure names the Host field; a closed port names Port', async () => {
	const dns = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { host: 'imap.does-not-exist.invalid' })),
	);
	expect(dns.code).toBe('DNS');
	expect(dns.field).toBe('host');

	const closedPort = await closedLocalPort();
	const refused = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { port: closedPort })),
	);
	expect(refused.code).toBe('REFUSED');
	expect(refused.field).toBe('port');
});

describe('Google authorized-user token JSON', () => {
	let idp: IdentityProvider;

	beforeAll(async () => {
		idp = await startIdentityProvider({ refreshTokens: { 'good-refresh': 'alice' } });
	});
	afterAll(async () => {
		await idp?.close();
	});

	const json = (refresh: string) => googleTokenJson(idp, refresh);

	test('is refreshed at its token_uri (refresh_token grant) and used for XOAUTH2', async () => {
		const login = await resolveLogin({
			method: 'googleTokenJson',
			googleTokenJson: json('good-refresh'),
		});
		expect(idp.issued).toHaveLength(1);
		expect(login).toEqual({ accessToken: idp.issued[0] });
		const last = idp.tokenRequests.at(-1)!;
		expect(last.get('grant_type')).toBe('refresh_token');
		expect(last.get('client_id')).toBe('cid.apps.googleusercontent.com');
		expect(last.get('client_secret')).toBe('secret');

		// This Dovecot offers no OAuth2 mechanism: the error says so and points at the auth method.
		const error = await mailIntelFailure(
			verifyImapSettings(
				settingsFor(server, {
					auth: { method: 'googleTokenJson', googleTokenJson: json('good-refresh') },
				}),
			),
		);
		expect(error.code).toBe('AUTH_METHOD_UNSUPPORTED');
		expect(error.field).toBe('authMethod');
	});

	test('a revoked refresh token names the Google Token JSON field', async () => {
		const error = await mailIntelFailure(
			resolveLogin({ method: 'googleTokenJson', googleTokenJson: json('revoked') }),
		);
		expect(error.field).toBe('googleTokenJson');
		expect(error.message).toContain('invalid_grant');
	});

	test('malformed JSON or missing keys are reported before any network call', async () => {
		const before = idp.tokenRequests.length;
		expect(
			(
				await mailIntelFailure(
					resolveLogin({ method: 'googleTokenJson', googleTokenJson: '{not json' }),
				)
			).field,
		).toBe('googleTokenJson');
		const missing = await mailIntelFailure(
			resolveLogin({ method: 'googleTokenJson', googleTokenJson: '{"client_id":"x"}' }),
		);
		expect(missing.message).toContain('client_secret, refresh_token');
		expect(idp.tokenRequests.length).toBe(before);
	});

	test('a raw access token is passed through; an empty one names its field', async () => {
		await expect(
			resolveLogin({ method: 'accessToken', accessToken: ' ya29.token ' }),
		).resolves.toEqual({ accessToken: 'ya29.token' });
		expect(
			(await mailIntelFailure(resolveLogin({ method: 'accessToken', accessToken: '' }))).field,
		).toBe('accessToken');
	});
});

async function closedLocalPort(): Promise<number> {
	const probe = http.createServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as AddressInfo;
	await new Promise((resolve) => probe.close(resolve));
	return port;
}
