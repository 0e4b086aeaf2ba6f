import { gmailConfigFrom, gmailParameters } from '../../../nodes/EmailIntelGmailTrigger/parameters';
import { gmailIdentity } from '../../../lib/providers/gmail';

describe('Email Intel Gmail Trigger parameters', () => {
	it('labels: trimmed, deduplicated; empty means all mail; a bad start date names the parameter', () => {
		expect(gmailParameters(' INBOX, Label_1 ,INBOX', {}).labels).toEqual(['INBOX', 'Label_1']);
		expect(gmailParameters('', {}).labels).toEqual([]);
		expect(() => gmailParameters('INBOX', { relativeImportStartDate: '30 days' })).toThrow(
			expect.objectContaining({ field: 'relativeImportStartDate' }),
		);
		const defaults = gmailParameters('INBOX', {});
		expect(defaults).toMatchObject({
			maxItems: 1000,
			batchSize: 100,
			concurrency: 10,
			keepRaw: false,
		});
		expect(Date.now() - defaults.since.getTime()).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000);
	});

	it("the OAuth2 credential: n8n's stored tokens and its access token URL feed the shared refresh", () => {
		const config = gmailConfigFrom('oAuth2', {
			clientId: 'cid',
			clientSecret: 'secret',
			accessTokenUrl: 'https://oauth2.googleapis.com/token',
			oauthTokenData: { access_token: 'ya29.a', refresh_token: '1//r' },
		});
		expect(config).toEqual({
			apiBaseUrl: 'https://gmail.googleapis.com',
			auth: {
				method: 'oAuth2',
				clientId: 'cid',
				clientSecret: 'secret',
				accessToken: 'ya29.a',
				refreshToken: '1//r',
				tokenUrl: 'https://oauth2.googleapis.com/token',
			},
		});
	});

	it('reconnecting the same account (a new refresh token) keeps the cursors; another client or mailbox does not', () => {
		const oauth = (refresh: string, clientId = 'cid') =>
			gmailIdentity(
				gmailConfigFrom('oAuth2', {
					clientId,
					clientSecret: 's',
					oauthTokenData: { refresh_token: refresh },
				}),
			);
		expect(oauth('1//first')).toBe(oauth('1//second'));
		expect(oauth('1//first')).not.toBe(oauth('1//first', 'other-client'));
		const delegated = (user: string) =>
			gmailIdentity(
				gmailConfigFrom('googleApi', {
					authMethod: 'serviceAccount',
					serviceAccountKey: '{"client_email":"sa@p.iam.gserviceaccount.com"}',
					delegatedUser: user,
				}),
			);
		expect(delegated('a@example.com')).not.toBe(delegated('b@example.com'));
	});
});
