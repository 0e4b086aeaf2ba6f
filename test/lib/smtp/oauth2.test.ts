// OAuth2 sending: the credential's Google token JSON is refreshed once and the same access token
// logs in to SMTP with XOAUTH2. Postfix hands the SASL exchange to Dovecot's auth socket, whose
// oauth2 passdb asks the local identity provider (RFC 7662 introspection) about the token, as a
// real provider's submission server would check it.
import fs from 'node:fs';
import path from 'node:path';

import { simpleParser } from 'mailparser';

import { sendEmail } from '../../../lib/smtp/send';
import { mailIntelFailure } from '../../helpers/failure';
import { startDovecot, type DovecotServer } from '../../imap/dovecot';
import { startPostfix, type PostfixServer } from '../../mta/postfix';
import {
	googleTokenJson,
	startIdentityProvider,
	type IdentityProvider,
} from '../providers/imap/identity-provider';

const ALICE = 'alice@mail.test';
const BOB = 'bob@mail.test';

let idp: IdentityProvider;
let dovecot: DovecotServer;
let postfix: PostfixServer;

beforeAll(async () => {
	idp = await startIdentityProvider({ refreshTokens: { 'rt-alice': ALICE } });
	dovecot = await startDovecot({
		mta: true,
		users: { [ALICE]: 'alicepass', [BOB]: 'bobpass' },
		oauth2: { introspectionUrl: `${idp.url}/introspect`, mechanisms: ['xoauth2'] },
	});
	postfix = await startPostfix(dovecot);
});
afterAll(async () => {
	await postfix?.stop();
	await dovecot?.stop();
	await idp?.close();
});

const smtp = (googleJson: string) => ({
	host: postfix.host,
	port: postfix.submissionPort,
	security: 'starttls' as const,
	caCertificate: dovecot.certPem,
	user: ALICE,
	auth: { method: 'googleTokenJson' as const, googleTokenJson: googleJson },
});

const message = (subject: string) => ({
	action: 'send' as const,
	from: { name: '', address: ALICE },
	to: [BOB],
	cc: [],
	bcc: [],
	subject,
	text: 'sent with an OAuth2 token',
	attachments: [],
	self: [ALICE],
});

test('a Google token JSON logs in to SMTP with XOAUTH2 and the message is delivered', async () => {
	await sendEmail(message('oauth2 send'), {
		smtp: smtp(googleTokenJson(idp, 'rt-alice')),
		saveToSent: false,
		markOriginal: false,
	});
	// the token Postfix/Dovecot checked is the one the refresh grant issued
	expect(idp.issued).toHaveLength(1);
	expect(idp.introspected).toContain(idp.issued[0]);
	await postfix.waitForEmptyQueue();
	const inbox = path.join(dovecot.maildir(BOB, 'INBOX'), 'new');
	const subjects = await Promise.all(
		fs
			.readdirSync(inbox)
			.map(async (file) => (await simpleParser(fs.readFileSync(path.join(inbox, file)))).subject),
	);
	expect(subjects).toContain('oauth2 send');
});

test('a token the identity provider does not know is refused, naming the token field', async () => {
	const failure = await mailIntelFailure(
		sendEmail(message('never'), {
			smtp: {
				...smtp(''),
				auth: { method: 'accessToken', accessToken: 'not-a-live-token' },
			},
			saveToSent: false,
			markOriginal: false,
		}),
	);
	expect(failure).toMatchObject({ source: 'smtp', code: 'AUTH_FAILED', field: 'accessToken' });
});
