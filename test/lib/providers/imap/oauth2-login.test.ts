import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { ImapProvider } from '../../../../lib/providers/imap/provider';
import type { ImapAuth } from '../../../../lib/providers/imap/settings';
import { verifyImapSettings } from '../../../../lib/providers/imap/verify';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { imapCommandLog, mailIntelFailure, settingsFor } from './poll-helper';

/**
 * OAuth2 login against a real Dovecot whose oauth2 passdb asks a local identity provider
 * about every bearer token (RFC 7662 introspection), so a login only passes when the token
 * the credential produced really reached the server and was accepted there. The same
 * identity provider answers the refresh-token grant of the Google token JSON.
 */
interface IdentityProvider {
	url: string;
	/** tokens Dovecot asked about, in order */
	introspected: string[];
	close(): Promise<void>;
}

const ACTIVE: Record<string, string> = { 'at-alice': 'alice' };
/** refresh token -> the account its access tokens belong to */
const REFRESH: Record<string, string> = { 'rt-alice': 'alice', 'rt-bob': 'bob' };

async function startIdentityProvider(): Promise<IdentityProvider> {
	const introspected: string[] = [];
	const issued = new Map<string, string>(Object.entries(ACTIVE));
	let counter = 0;
	const server = http.createServer((request, response) => {
		let body = '';
		request.on('data', (chunk) => (body += chunk));
		request.on('end', () => {
			const form = new URLSearchParams(body);
			response.setHeader('content-type', 'application/json');
			if (request.method === 'POST' && request.url === '/introspect') {
				const token = form.get('token') ?? '';
				introspected.push(token);
				const username = issued.get(token);
				response.end(JSON.stringify(username ? { active: true, username } : { active: false }));
				return;
			}
			if (request.method === 'POST' && request.url === '/token') {
				const account = REFRESH[form.get('refresh_token') ?? ''];
				if (form.get('grant_type') !== 'refresh_token' || !account) {
					response.statusCode = 400;
					response.end(JSON.stringify({ error: 'invalid_grant' }));
					return;
				}
				const token = `at-${account}-${++counter}`;
				issued.set(token, account);
				response.end(
					JSON.stringify({ access_token: token, expires_in: 3599, token_type: 'Bearer' }),
				);
				return;
			}
			response.statusCode = 404;
			response.end('{}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		introspected,
		close: () => new Promise((resolve) => server.close(() => resolve())),
	};
}

function googleTokenJson(idp: IdentityProvider, refreshToken: string): string {
	return JSON.stringify({
		type: 'authorized_user',
		client_id: 'cid.apps.googleusercontent.com',
		client_secret: 'secret',
		refresh_token: refreshToken,
		token_uri: `${idp.url}/token`,
	});
}

let idp: IdentityProvider;
beforeAll(async () => {
	idp = await startIdentityProvider();
});
afterAll(async () => {
	await idp?.close();
});

describe.each([
	{ server: 'XOAUTH2 only (as Microsoft 365)', offered: ['xoauth2'], used: 'XOAUTH2' },
	{
		server: 'OAUTHBEARER and XOAUTH2 (as Gmail)',
		offered: ['xoauth2', 'oauthbearer'],
		used: 'OAUTHBEARER',
	},
] as const)('OAuth2 login to a Dovecot offering $server', ({ offered, used }) => {
	let server: DovecotServer;

	beforeAll(async () => {
		server = await startDovecot({
			oauth2: { introspectionUrl: `${idp.url}/introspect`, mechanisms: [...offered] },
		});
		await server.seed('alice', 'INBOX', [
			'From: feed@example.org\r\nSubject: token login works\r\nMessage-ID: <oauth@example.org>\r\n\r\nbody\r\n',
		]);
	});
	afterAll(async () => {
		await server?.stop();
	});

	const settings = (auth: ImapAuth) => settingsFor(server, { auth });

	test(`an access token logs in with AUTHENTICATE ${used}; the server checked that very token`, async () => {
		const { lines, logger } = imapCommandLog();
		await expect(
			verifyImapSettings(settings({ method: 'accessToken', accessToken: ' at-alice ' }), {
				logger,
			}),
		).resolves.toEqual({ messages: 1 });
		expect(lines.some((line) => line.includes(`AUTHENTICATE ${used}`))).toBe(true);
		expect(idp.introspected.at(-1)).toBe('at-alice');
		// The token is a secret: imapflow's log of the command must not carry it.
		expect(lines.join('\n')).not.toContain('at-alice');
	});

	test('the Google token JSON is refreshed at its token_uri and the fresh token reads mail', async () => {
		const provider = new ImapProvider(
			settings({ method: 'googleTokenJson', googleTokenJson: googleTokenJson(idp, 'rt-alice') }),
		);
		try {
			const newest = await provider.newest('INBOX');
			expect(newest).toBeDefined();
			const { email } = await provider.fetch(newest!, DEFAULT_POLICY);
			expect(email.subject).toBe('token login works');
		} finally {
			await provider.close();
		}
		expect(idp.introspected.at(-1)).toMatch(/^at-alice-\d+$/);
	});

	test('a token the identity provider no longer calls active is refused, naming Access Token', async () => {
		const error = await mailIntelFailure(
			verifyImapSettings(settings({ method: 'accessToken', accessToken: 'at-expired' })),
		);
		expect(idp.introspected.at(-1)).toBe('at-expired');
		expect(error.code).toBe('AUTH_FAILED');
		expect(error.field).toBe('accessToken');
		expect(error.hint).toMatch(/User and Access Token/);
	});

	test("a token of another account (bob's refresh token, user alice) is refused, naming the token JSON", async () => {
		const error = await mailIntelFailure(
			verifyImapSettings(
				settings({ method: 'googleTokenJson', googleTokenJson: googleTokenJson(idp, 'rt-bob') }),
			),
		);
		expect(idp.introspected.at(-1)).toMatch(/^at-bob-\d+$/);
		expect(error.code).toBe('AUTH_FAILED');
		expect(error.field).toBe('googleTokenJson');
	});
});
