import { authorizedUserTokens, parseGoogleTokenJson } from '../../../../lib/auth/google-token';
import { isMailIntelError } from '../../../../lib/errors';
import { resolveLogin } from '../../../../lib/providers/imap/auth';
import type { GmailConfig } from '../../../../lib/providers/gmail';
import { startFakeGmail, type FakeGmail } from '../../../fakes/gmail';
import { clientFor, tokenJsonConfig } from './poll';

/** The three Gmail credentials against the fake's token endpoint, and the one refresh they share with IMAP. */
describe('Gmail credentials', () => {
	let fake: FakeGmail;
	beforeEach(async () => {
		fake = await startFakeGmail();
	});
	afterEach(() => fake.close());

	const profile = (config: GmailConfig, user?: string) =>
		clientFor(config, user).json<{ emailAddress: string }>({ path: 'profile' });

	it('token JSON: refreshed once at its token_uri, the token kept in memory for the next calls', async () => {
		const config = tokenJsonConfig(fake);
		expect((await profile(config)).emailAddress).toBe('soc@example.com');
		await profile(config);
		await profile(config);
		expect(fake.tokenRequests).toEqual([{ grant: 'refresh_token' }]);
	});

	it('a token the API refuses (401, expired early) is refreshed once and the call goes through', async () => {
		const config = tokenJsonConfig(fake);
		await profile(config);
		fake.expireAccessTokens();
		expect((await profile(config)).emailAddress).toBe('soc@example.com');
		expect(fake.tokenRequests).toHaveLength(2);
	});

	it('an expired or revoked refresh token: an error naming the credential field and what to do', async () => {
		const config = tokenJsonConfig(fake);
		fake.revokeRefreshToken();
		const error = await profile(config).catch((caught: unknown) => caught);
		expect(isMailIntelError(error) && error).toMatchObject({
			code: 'AUTH_FAILED',
			field: 'googleTokenJson',
			source: 'gmail',
			retryable: false,
		});
		expect((error as Error).message).toContain('invalid_grant');
		expect((error as { hint: string }).hint).toContain('revoked refresh token');
	});

	it('the Gmail OAuth2 credential: its refused refresh token names oauthTokenData', async () => {
		const json = JSON.parse(fake.tokenJson()) as Record<string, string>;
		const config: GmailConfig = {
			apiBaseUrl: fake.apiBaseUrl,
			auth: {
				method: 'oAuth2',
				clientId: json.client_id,
				clientSecret: json.client_secret,
				accessToken: 'ya29.stale-token-from-n8n',
				refreshToken: json.refresh_token,
				tokenUrl: fake.tokenUrl,
			},
		};
		// n8n's stored access token is refused: the refresh token gets a new one.
		expect((await profile(config)).emailAddress).toBe('soc@example.com');
		fake.revokeRefreshToken();
		fake.expireAccessTokens();
		const error = await profile(config).catch((caught: unknown) => caught);
		expect(isMailIntelError(error) && error).toMatchObject({
			code: 'AUTH_FAILED',
			field: 'oauthTokenData',
		});
	});

	it('service account with domain-wide delegation: a JWT bearer grant (RS256) for the user to act as', async () => {
		const config: GmailConfig = {
			apiBaseUrl: fake.apiBaseUrl,
			auth: {
				method: 'serviceAccount',
				serviceAccountKey: fake.serviceAccountKey(),
				delegatedUser: 'soc@example.com',
			},
		};
		expect((await profile(config, 'soc@example.com')).emailAddress).toBe('soc@example.com');
		expect(fake.tokenRequests).toEqual([{ grant: 'urn:ietf:params:oauth:grant-type:jwt-bearer' }]);

		const other: GmailConfig = {
			...config,
			auth: { ...config.auth, delegatedUser: 'ceo@example.com' } as GmailConfig['auth'],
		};
		const error = await profile(other, 'ceo@example.com').catch((caught: unknown) => caught);
		expect(isMailIntelError(error) && error).toMatchObject({ field: 'serviceAccountKey' });
		expect((error as { hint: string }).hint).toContain('domain-wide delegation');
	});

	it('the API base URL must be https (loopback excepted): the bearer token never travels in clear', () => {
		expect(() =>
			clientFor({ ...tokenJsonConfig(fake), apiBaseUrl: 'http://gmail.example.com' }),
		).toThrow(expect.objectContaining({ field: 'apiBaseUrl', code: 'BAD_CONFIG' }));
	});

	it('the IMAP trigger logs in with the same token JSON through the same refresh (one token request for both)', async () => {
		const stale = fake.tokenJson();
		fake.revokeRefreshToken();
		const text = fake.tokenJson();
		const gmailToken = await authorizedUserTokens(parseGoogleTokenJson(text), {
			source: 'gmail',
			field: 'googleTokenJson',
		}).getAccessToken();
		const login = await resolveLogin({ method: 'googleTokenJson', googleTokenJson: text });
		expect(login).toEqual({ accessToken: gmailToken });
		expect(fake.tokenRequests).toHaveLength(1);

		const error = await resolveLogin({ method: 'googleTokenJson', googleTokenJson: stale }).catch(
			(caught: unknown) => caught,
		);
		expect(isMailIntelError(error) && error).toMatchObject({
			source: 'imap',
			code: 'AUTH_FAILED',
			field: 'googleTokenJson',
		});
	});
});
