import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { resolveLogin } from '../../../../lib/providers/imap/auth';
import { verifyImapSettings } from '../../../../lib/providers/imap/verify';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
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

test('TLS to a self-signed server is refused by default, naming the option that allows it', async () => {
	const error = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { port: server.tlsPort, security: 'tls' })),
	);
	expect(error.code).toBe('TLS_SELF_SIGNED');
	expect(error.field).toBe('allowSelfSigned');
	expect(error.hint).toContain('Allow Self-Signed Certificates');
});

test('TLS and STARTTLS work once self-signed certificates are allowed', async () => {
	await expect(
		verifyImapSettings(
			settingsFor(server, { port: server.tlsPort, security: 'tls', allowSelfSigned: true }),
		),
	).resolves.toHaveProperty('messages');
	await expect(
		verifyImapSettings(settingsFor(server, { security: 'starttls', allowSelfSigned: true })),
	).resolves.toHaveProperty('messages');
	const starttls = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { security: 'starttls' })),
	);
	expect(starttls.field).toBe('allowSelfSigned');
});

test('TLS against the plain port says the Security mode does not match the port', async () => {
	const error = await mailIntelFailure(
		verifyImapSettings(settingsFor(server, { security: 'tls', allowSelfSigned: true })),
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
	let tokenServer: http.Server;
	let tokenUri: string;
	const requests: URLSearchParams[] = [];

	beforeAll(async () => {
		tokenServer = http.createServer((request, response) => {
			let body = '';
			request.on('data', (chunk) => (body += chunk));
			request.on('end', () => {
				const form = new URLSearchParams(body);
				requests.push(form);
				response.setHeader('content-type', 'application/json');
				if (form.get('refresh_token') === 'good-refresh') {
					response.end(
						JSON.stringify({
							access_token: 'fresh-access-token',
							expires_in: 3599,
							token_type: 'Bearer',
						}),
					);
				} else {
					response.statusCode = 400;
					response.end(
						JSON.stringify({
							error: 'invalid_grant',
							error_description: 'Token has been expired or revoked.',
						}),
					);
				}
			});
		});
		await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
		tokenUri = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
	});
	afterAll(async () => {
		await new Promise((resolve) => tokenServer.close(resolve));
	});

	const json = (refresh: string) =>
		JSON.stringify({
			client_id: 'cid.apps.googleusercontent.com',
			client_secret: 'secret',
			refresh_token: refresh,
			token_uri: tokenUri,
			type: 'authorized_user',
		});

	test('is refreshed at its token_uri (refresh_token grant) and used for XOAUTH2', async () => {
		await expect(
			resolveLogin({ method: 'googleTokenJson', googleTokenJson: json('good-refresh') }),
		).resolves.toEqual({ accessToken: 'fresh-access-token' });
		const last = requests.at(-1)!;
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
		const before = requests.length;
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
		expect(requests.length).toBe(before);
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
