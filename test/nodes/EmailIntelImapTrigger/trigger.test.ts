import type { ICredentialTestFunctions } from 'n8n-workflow';

import { EmailIntelImapTrigger } from '../../../nodes/EmailIntelImapTrigger/EmailIntelImapTrigger.node';
import { testImapCredential } from '../../../nodes/EmailIntelImapTrigger/credential-test';
import { startDovecot, type DovecotServer } from '../../imap/dovecot';
import { dovecotCredential } from '../../imap/credentials';
import { message } from '../../lib/providers/imap/messages';
import { expectNoSeen } from '../../lib/providers/imap/poll-helper';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';

/**
 * The trigger node inside n8n-core's real PollContext (static data round-tripped as JSON,
 * binary data through n8n's BinaryDataService) against a real Dovecot.
 */
let server: DovecotServer;
let harness: Harness | undefined;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
});
afterEach(async () => {
	await harness?.close();
	harness = undefined;
});

const credentials = (overrides: Record<string, unknown> = {}) => ({
	emailIntelImapApi: dovecotCredential(server, { skipTlsVerification: false, ...overrides }),
});

function json(result: Awaited<ReturnType<Harness['poll']>>) {
	return (result?.[0] ?? []).map((item) => item.json as Record<string, unknown>);
}

test('polls emit normalized items with attachments as n8n binary data; the cursor lives in static data', async () => {
	const mailbox = 'Node/Basic';
	const now = Date.now();
	await server.seed(
		'alice',
		mailbox,
		[
			message({ subject: 'too old' }),
			message({
				subject: 'report with pdf',
				from: 'Reporter <reporter@example.org>',
				attachments: [
					{ filename: 'ioc.pdf', contentType: 'application/pdf', content: PDF },
					{
						filename: 'payload.exe',
						contentType: 'application/x-msdownload',
						content: Buffer.from('MZ'),
					},
				],
			}),
		],
		{ internalDates: [new Date(now - 40 * 86_400_000), new Date(now - 1000)] },
	);
	harness = await startHarness(new EmailIntelImapTrigger(), {
		parameters: { mailboxes: mailbox, options: { includeRaw: true } },
		credentials: credentials(),
	});

	const first = await harness.poll();
	expect(json(first).map((item) => item.subject)).toEqual(['report with pdf']);
	const item = first![0][0];
	expect(item.json).toMatchObject({
		provider: 'imap',
		account: 'alice',
		mailbox,
		from: { name: 'Reporter', address: 'reporter@example.org' },
		attachments: [
			{
				filename: 'ioc.pdf',
				contentType: 'application/pdf',
				binaryProperty: 'attachment_0',
				size: PDF.length,
			},
			{ filename: 'payload.exe', skipped: 'mimeType' },
		],
	});
	expect(String(item.json.locator)).toMatch(
		new RegExp(`^imap://alice@127\\.0\\.0\\.1:${server.port}/Node/Basic;UIDVALIDITY=\\d+/;UID=2$`),
	);
	expect(item.binary?.attachment_0).toMatchObject({
		fileName: 'ioc.pdf',
		mimeType: 'application/pdf',
	});
	expect(Buffer.from(item.binary!.attachment_0.data, 'base64')).toEqual(PDF);
	expect(item.binary?.raw?.mimeType).toBe('message/rfc822');

	// n8n keys node static data by node name.
	const stored = harness.staticData()['node:Email Intel IMAP Trigger'] as {
		version: number;
		scopes: Record<string, { cursor: { lastUid: number } }>;
	};
	expect(stored.version).toBe(2);
	expect(stored.scopes[mailbox].cursor.lastUid).toBe(2);

	expect(await harness.poll()).toBeNull();
	await server.seed('alice', mailbox, [message({ subject: 'next' })]);
	expect(json(await harness.poll()).map((entry) => entry.subject)).toEqual(['next']);
	await expectNoSeen(server, mailbox);
});

test('"fetch test event" (manual mode) returns the newest message and leaves the cursor alone', async () => {
	const mailbox = 'Node/Manual';
	await server.seed('alice', mailbox, [
		message({ subject: 'older' }),
		message({ subject: 'newest' }),
	]);
	harness = await startHarness(new EmailIntelImapTrigger(), {
		parameters: { mailboxes: mailbox },
		credentials: credentials(),
	});
	expect(json(await harness.poll('manual')).map((item) => item.subject)).toEqual(['newest']);
	expect(harness.staticData()).toEqual({});
	// The first real poll still sees everything.
	expect(json(await harness.poll()).map((item) => item.subject)).toEqual(['older', 'newest']);
	await expectNoSeen(server, mailbox);
});

test('search filter and max items per poll', async () => {
	const mailbox = 'Node/Filter';
	await server.seed('alice', mailbox, [
		message({ subject: 'Phish report 1' }),
		message({ subject: 'lunch' }),
		message({ subject: 'Phish report 2' }),
		message({ subject: 'Phish report 3' }),
	]);
	harness = await startHarness(new EmailIntelImapTrigger(), {
		parameters: { mailboxes: mailbox, options: { subjectContains: 'phish', maxItemsPerPoll: 2 } },
		credentials: credentials(),
	});
	expect(json(await harness.poll()).map((item) => item.subject)).toEqual([
		'Phish report 1',
		'Phish report 2',
	]);
	expect(json(await harness.poll()).map((item) => item.subject)).toEqual(['Phish report 3']);
	expect(await harness.poll()).toBeNull();
});

test('errors: thrown on the first run naming the field; later ones reach n8n as an error execution once an hour, the cursor kept', async () => {
	const mailbox = 'Node/Errors';
	await server.seed('alice', mailbox, [message({ subject: 'one' })]);
	harness = await startHarness(new EmailIntelImapTrigger(), {
		parameters: { mailboxes: mailbox },
		credentials: credentials({ password: 'wrong' }),
	});
	await expect(harness.poll()).rejects.toMatchObject({
		description: expect.stringContaining('Password'),
	});
	await harness.close();

	harness = await startHarness(new EmailIntelImapTrigger(), {
		parameters: { mailboxes: mailbox },
		credentials: credentials(),
	});
	expect(json(await harness.poll()).map((item) => item.subject)).toEqual(['one']);
	const cursor = harness.staticData();
	await server.seed('alice', mailbox, [message({ subject: 'two' })]);

	await server.kill();
	// Not the first run: thrown all the same, so n8n records an error execution and runs the
	// Error Workflow; the same failure again within the hour is only logged. A server going down
	// can fail a poll in two ways in a row (the kept connection lost, then the connection
	// refused): each is reported once, never the same one twice.
	const reported: string[] = [];
	try {
		for (let poll = 0; poll < 3; poll++) {
			let result: Awaited<ReturnType<Harness['poll']>>;
			try {
				result = await harness.poll();
			} catch (error) {
				reported.push((error as Error).message);
				continue;
			}
			expect(result).toBeNull();
			break;
		}
		expect(reported.length).toBeGreaterThanOrEqual(1);
		expect(new Set(reported).size).toBe(reported.length);
		expect(await harness.poll()).toBeNull();
		expect(harness.staticData()).toEqual(cursor);
	} finally {
		await server.start();
	}
	expect(json(await harness.poll()).map((item) => item.subject)).toEqual(['two']);
});

test('a bad start date names the parameter', async () => {
	harness = await startHarness(new EmailIntelImapTrigger(), {
		parameters: { mailboxes: 'INBOX', options: { relativeImportStartDate: '30 days' } },
		credentials: credentials(),
	});
	await expect(harness.poll()).rejects.toMatchObject({
		description: expect.stringContaining('relativeImportStartDate'),
	});
});

test('credential test: OK, and messages naming the CA field for a self-signed TLS server', async () => {
	const run = (data: Record<string, unknown>) =>
		testImapCredential.call({} as ICredentialTestFunctions, {
			id: '1',
			name: 'imap',
			type: 'emailIntelImapApi',
			data: credentials(data).emailIntelImapApi as never,
		});
	await expect(run({})).resolves.toMatchObject({ status: 'OK' });
	const tls = await run({ port: server.tlsPort, security: 'tls' });
	expect(tls.status).toBe('Error');
	expect(tls.message).toContain('CA Certificate (PEM)');
	expect(tls.message).toContain('Skip TLS Verification (Insecure)');
	// The server's own self-signed certificate as the CA: verified, host name and dates included.
	await expect(
		run({ port: server.tlsPort, security: 'tls', caCertificate: server.certPem }),
	).resolves.toMatchObject({ status: 'OK' });
	await expect(
		run({ port: server.tlsPort, security: 'tls', skipTlsVerification: true }),
	).resolves.toMatchObject({ status: 'OK' });
	// A credential saved with the former "Allow Self-Signed Certificates" still connects.
	await expect(
		run({ port: server.tlsPort, security: 'tls', allowSelfSigned: true }),
	).resolves.toMatchObject({ status: 'OK' });
	const badCa = await run({ port: server.tlsPort, security: 'tls', caCertificate: 'nope' });
	expect(badCa.message).toMatch(/^CA Certificate \(PEM\): no PEM certificate found\. Paste/);
	const auth = await run({ password: 'nope' });
	expect(auth.message).toMatch(/User and Password/);
	// Dovecot says "Authentication failed."; the message keeps one full stop.
	expect(auth.message).toContain('Authentication failed. Check');
	expect(auth.message).not.toContain('..');
});
