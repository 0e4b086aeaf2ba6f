import type { ICredentialTestFunctions } from 'n8n-workflow';

import { EmailIntelGmailTrigger } from '../../../nodes/EmailIntelGmailTrigger/EmailIntelGmailTrigger.node';
import { testGoogleCredential } from '../../../nodes/EmailIntelGmailTrigger/credential-test';
import { startFakeGmail, type FakeGmail } from '../../fakes/gmail';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';
import { mail } from '../../lib/providers/gmail/mail';

/**
 * The Gmail trigger inside n8n-core's real PollContext (one Workflow across polls, static data
 * saved only when a poll emits, binary data through n8n's BinaryDataService) against the
 * Gmail fake, signed in with a Google token JSON.
 */
let fake: FakeGmail;
let harness: Harness | undefined;

beforeEach(async () => {
	fake = await startFakeGmail();
});
afterEach(async () => {
	await harness?.close();
	harness = undefined;
	await fake.close();
});

const credentials = (overrides: Record<string, unknown> = {}) => ({
	emailIntelGoogleApi: {
		authMethod: 'tokenJson',
		googleTokenJson: fake.tokenJson(),
		apiBaseUrl: fake.apiBaseUrl,
		tokenUrl: '',
		...overrides,
	},
});

const subjects = (result: Awaited<ReturnType<Harness['poll']>>) =>
	(result?.flat() ?? []).map((item) => (item.json as { subject: string }).subject);

test('emits the seeded messages with labels, locator and the PDF as binary; nothing twice across polls and a restart', async () => {
	fake.addMessage({ raw: mail('seeded 1', { attachment: true }) });
	fake.addMessage({ raw: mail('seeded 2') });
	harness = await startHarness(new EmailIntelGmailTrigger(), {
		parameters: { authentication: 'googleApi', labels: 'INBOX', options: {} },
		credentials: credentials(),
	});
	const first = await harness.poll();
	expect(subjects(first)).toEqual(['seeded 1', 'seeded 2']);
	const item = first![0][0];
	expect(item.json).toMatchObject({
		provider: 'gmail',
		account: 'me',
		mailbox: 'INBOX',
		labels: ['INBOX', 'UNREAD'],
		locator: expect.stringMatching(/^gmail:\/\/me\/messages\/[0-9a-f]{16}$/),
		attachments: [
			expect.objectContaining({ filename: 'report.pdf', binaryProperty: 'attachment_0' }),
		],
	});
	expect(item.binary?.attachment_0).toMatchObject({
		fileName: 'report.pdf',
		mimeType: 'application/pdf',
	});

	expect(await harness.poll()).toBeNull();
	harness.restart();
	expect(await harness.poll()).toBeNull();
	fake.addMessage({ raw: mail('after restart') });
	expect(subjects(await harness.poll())).toEqual(['after restart']);
	expect(await harness.poll()).toBeNull();
	expect(harness.emittedIds()).toHaveLength(3);
});

test('a backlog goes out in executions of Max Items per Execution; an empty poll afterwards is one API call', async () => {
	fake.addMessages(Array.from({ length: 5 }, (_, i) => ({ raw: mail(`b${i}`) })));
	harness = await startHarness(new EmailIntelGmailTrigger(), {
		parameters: {
			authentication: 'googleApi',
			labels: 'INBOX',
			options: { maxItemsPerExecution: 2 },
		},
		credentials: credentials(),
	});
	// n8n awaits the activation poll: it hands on one execution, the next poll the rest.
	const drained = [...subjects(await harness.poll()), ...subjects(await harness.poll())];
	expect(drained).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
	expect(harness.executions.map((execution) => execution.items.length)).toEqual([2, 2, 1]);
	const before = fake.requests.length;
	expect(await harness.poll()).toBeNull();
	expect(fake.requests.length - before).toBe(1);
});

test('a revoked refresh token fails the poll with an error naming the credential field', async () => {
	fake.addMessage({ raw: mail('waiting') });
	const stale = fake.tokenJson();
	fake.revokeRefreshToken();
	harness = await startHarness(new EmailIntelGmailTrigger(), {
		parameters: { authentication: 'googleApi', labels: 'INBOX', options: {} },
		credentials: credentials({ googleTokenJson: stale }),
	});
	const error = await harness.poll().catch((caught: unknown) => caught);
	expect(error).toBeInstanceOf(Error);
	expect((error as Error).message).toContain('invalid_grant');
	expect((error as { description?: string }).description).toContain('googleTokenJson');
});

test('credential test: signs in and reads the profile, or says what to fix', async () => {
	const context = {} as ICredentialTestFunctions;
	const ok = await testGoogleCredential.call(context, {
		id: '1',
		name: 'gmail',
		type: 'emailIntelGoogleApi',
		data: credentials().emailIntelGoogleApi,
	});
	expect(ok).toEqual({ status: 'OK', message: expect.stringContaining('soc@example.com') });
	const bad = await testGoogleCredential.call(context, {
		id: '1',
		name: 'gmail',
		type: 'emailIntelGoogleApi',
		data: credentials({ googleTokenJson: '{"client_id": "x"}' }).emailIntelGoogleApi,
	});
	expect(bad.status).toBe('Error');
	expect(bad.message).toContain('client_secret, refresh_token');
});

test('Fetch Test Event (manual) shows the newest message and leaves the active trigger every message', async () => {
	fake.addMessages([{ raw: mail('older') }, { raw: mail('newest') }]);
	harness = await startHarness(new EmailIntelGmailTrigger(), {
		parameters: { authentication: 'googleApi', labels: 'INBOX', options: {} },
		credentials: credentials(),
	});
	expect(subjects(await harness.poll('manual'))).toEqual(['newest']);
	expect(subjects(await harness.poll())).toEqual(['older', 'newest']);
});
