import { verifyGoogleOidcToken } from '../../../../lib/auth/oidc';
import { isMailIntelError } from '../../../../lib/errors';
import { parsePush, startWatch, stopWatch } from '../../../../lib/providers/gmail';
import { startFakeGmail, type FakeGmail } from '../../../fakes/gmail';
import { clientFor, tokenJsonConfig } from './poll';

/**
 * The parts a Gmail push endpoint is built from (the push trigger itself is not written yet):
 * the OIDC bearer token of a Pub/Sub push checked against the fake's JWKS, the push body, and
 * users.watch / users.stop.
 */
describe('Gmail push: token, body, watch', () => {
	let fake: FakeGmail;
	beforeEach(async () => {
		fake = await startFakeGmail();
	});
	afterEach(() => fake.close());

	const AUDIENCE = 'https://n8n.example.com/webhook/gmail-push';
	const verifyToken = (token: string, extra: { email?: string } = {}) =>
		verifyGoogleOidcToken(`Bearer ${token}`, {
			audience: AUDIENCE,
			jwksUrl: fake.jwksUrl,
			...extra,
		});
	const refusal = (promise: Promise<unknown>) =>
		promise.then(
			() => 'accepted',
			(error: unknown) =>
				isMailIntelError(error) ? `${error.status} ${error.message}` : String(error),
		);

	it('accepts the token Pub/Sub signs for the subscription, with its service account', async () => {
		const claims = await verifyToken(fake.pushToken({ aud: AUDIENCE }), {
			email: 'gmail-push@fake-project.iam.gserviceaccount.com',
		});
		expect(claims).toMatchObject({ iss: 'https://accounts.google.com', aud: AUDIENCE });
	});

	it.each([
		['another audience', { aud: 'https://elsewhere.example.com/' }, {}, 'wrong audience'],
		['another issuer', { aud: AUDIENCE, iss: 'https://evil.example.com' }, {}, 'issuer'],
		[
			'an expired token',
			{ aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) - 3600 },
			{},
			'expired',
		],
		['a key not in the JWKS', { aud: AUDIENCE }, { foreignKey: true }, 'bad signature'],
		['alg HS256', { aud: AUDIENCE }, { alg: 'HS256' }, 'not RS256'],
	])('refuses %s with 401', async (_what, claims, signing, reason) => {
		expect(await refusal(verifyToken(fake.pushToken(claims, signing)))).toMatch(
			new RegExp(`^401 push refused: .*${reason}`),
		);
	});

	it('refuses a push from another service account, and a request without a bearer token', async () => {
		expect(
			await refusal(
				verifyToken(fake.pushToken({ aud: AUDIENCE }), {
					email: 'other@x.iam.gserviceaccount.com',
				}),
			),
		).toMatch(/^401 .*service account/);
		expect(
			await refusal(
				verifyGoogleOidcToken(undefined, { audience: AUDIENCE, jwksUrl: fake.jwksUrl }),
			),
		).toMatch(/^401 .*no bearer token/);
	});

	it('reads the push body (address and history id); refuses anything else with 400', () => {
		fake.addMessage({ raw: 'Subject: x\r\n\r\nbody' });
		expect(parsePush(fake.pushBody())).toEqual({
			emailAddress: 'soc@example.com',
			historyId: fake.currentHistoryId(),
		});
		expect(() => parsePush({ message: { data: 'not base64 json' } })).toThrow(
			expect.objectContaining({ status: 400, code: 'BAD_PUSH' }),
		);
		expect(() => parsePush({})).toThrow(expect.objectContaining({ status: 400 }));
	});

	it('users.watch on a topic with the watched labels, and users.stop', async () => {
		const client = clientFor(tokenJsonConfig(fake));
		const watch = await startWatch(client, 'projects/p/topics/gmail', ['INBOX', 'Label_1']);
		expect(watch.historyId).toBe(fake.currentHistoryId());
		expect(watch.expiration).toBeGreaterThan(Date.now());
		expect(fake.watches).toEqual([
			{
				topicName: 'projects/p/topics/gmail',
				labelIds: ['INBOX', 'Label_1'],
				labelFilterBehavior: 'include',
			},
		]);
		await stopWatch(client);
		expect(fake.stops).toBe(1);
	});
});
