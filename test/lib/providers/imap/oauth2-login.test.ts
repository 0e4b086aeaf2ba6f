import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { ImapProvider } from '../../../../lib/providers/imap/provider';
import type { ImapAuth } from '../../../../lib/providers/imap/settings';
import { verifyImapSettings } from '../../../../lib/providers/imap/verify';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { googleTokenJson, startIdentityProvider, type IdentityProvider } from './identity-provider';
import { imapCommandLog, mailIntelFailure, settingsFor } from './poll-helper';

/**
 * OAuth2 login against a real Dovecot whose oauth2 passdb asks a local identity provider
 * about every bearer token (RFC 7662 introspection), so a login only passes when the token
 * the credential produced really reached the server and was accepted there. The same
 * identity provider answers the refresh-token grant of the Google token JSON.
 */
let idp: IdentityProvider;
beforeAll(async () => {
	idp = await startIdentityProvider({
		refreshTokens: { 'rt-alice': 'alice', 'rt-bob': 'bob' },
		activeTokens: { 'at-alice': 'alice' },
	});
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
