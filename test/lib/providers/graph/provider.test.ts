import {
	createMsalTokenSource,
	GraphClient,
	GraphProvider,
	createHttpsTransport,
	validateGraphConfig,
} from '../../../../lib/providers/graph';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { makeSelfSigned, startFakeGraph, type FakeGraph } from '../../../fakes/graph';

const UPN = 'soc@contoso.com';

describe('GraphProvider against the https Graph fake', () => {
	let fake: FakeGraph;
	beforeAll(async () => {
		fake = await startFakeGraph({ defaultPageSize: 10 });
	});
	afterAll(async () => fake.close());

	function clientWith(config: Parameters<typeof validateGraphConfig>[0]) {
		const valid = validateGraphConfig(config);
		const transport = createHttpsTransport({ ca: valid.ca });
		return new GraphClient({
			graphBaseUrl: valid.graphBaseUrl,
			transport,
			tokens: createMsalTokenSource(valid, transport),
		});
	}

	const base = () => ({
		tenantId: fake.tenantId,
		clientId: fake.clientId,
		authorityHost: fake.authorityHost,
		graphBaseUrl: fake.url,
		ca: fake.caPem,
	});

	it('gets a token with the client secret through MSAL and caches it in memory', async () => {
		const client = clientWith({ ...base(), clientSecret: fake.clientSecret });
		const before = fake.tokensIssued;
		const first = await client.json<{ value: unknown[] }>({
			method: 'GET',
			url: `/users/${UPN}/mailFolders?$top=1`,
			mailbox: UPN,
		});
		await client.json({ method: 'GET', url: `/users/${UPN}/mailFolders?$top=1`, mailbox: UPN });
		expect(first.status).toBe(200);
		expect(fake.tokensIssued - before).toBe(1);
		expect(fake.missingImmutableId).toBe(0);
	});

	it('gets a token with a certificate (signed client assertion checked against the registered cert)', async () => {
		const cert = makeSelfSigned('email-intel-app', 'DNS:app.invalid');
		fake.registerCertificate(cert.certPem);
		const client = clientWith({
			...base(),
			privateKeyPem: cert.keyPem,
			certificateThumbprintSha256: cert.thumbprintSha256,
		});
		await expect(
			client.json({ method: 'GET', url: `/users/${UPN}/mailFolders?$top=1`, mailbox: UPN }),
		).resolves.toMatchObject({ status: 200 });
		const stranger = makeSelfSigned('someone-else', 'DNS:x.invalid');
		const refused = clientWith({
			...base(),
			privateKeyPem: stranger.keyPem,
			certificateThumbprintSha256: stranger.thumbprintSha256,
		});
		await expect(
			refused.json({ method: 'GET', url: `/users/${UPN}/mailFolders`, mailbox: UPN }),
		).rejects.toMatchObject({ source: 'graph', status: 401 });
	});

	it('refuses a wrong secret with an error naming the field', async () => {
		const client = clientWith({ ...base(), clientSecret: 'wrong' });
		await expect(
			client.json({ method: 'GET', url: `/users/${UPN}/mailFolders`, mailbox: UPN }),
		).rejects.toMatchObject({ field: 'clientSecret' });
	});

	it('rejects bad credential input with the field and the fix', () => {
		expect(() => validateGraphConfig({ tenantId: '', clientId: 'x', clientSecret: 's' })).toThrow(
			expect.objectContaining({ field: 'tenantId' }),
		);
		expect(() =>
			validateGraphConfig({
				tenantId: 't',
				clientId: 'x',
				privateKeyPem: '-----BEGIN PRIVATE KEY-----\nx',
				certificateThumbprintSha256: 'abc',
			}),
		).toThrow(expect.objectContaining({ field: 'certificateThumbprint' }));
		expect(() =>
			validateGraphConfig({
				tenantId: 't',
				clientId: 'x',
				clientSecret: 's',
				graphBaseUrl: 'http://graph.local',
			}),
		).toThrow(expect.objectContaining({ field: 'graphBaseUrl' }));
	});

	it('delta: pages through absolute links, ignores @removed and updates, emits each new message once, maps JSON and file attachments', async () => {
		const client = clientWith({ ...base(), clientSecret: fake.clientSecret });
		const provider = new GraphProvider({ client, account: UPN, pageSize: 7 });
		const since = new Date(Date.now() - 60_000);
		fake.addMessages(UPN, 'Inbox', [
			{ receivedDateTime: new Date(Date.now() - 3_600_000).toISOString(), subject: 'too old' },
		]);
		const added = fake.addMessages(
			UPN,
			'Inbox',
			Array.from({ length: 23 }, (_, i) => ({
				subject: `m${i}`,
				attachments:
					i === 0
						? [
								{
									name: 'report.pdf',
									contentType: 'application/pdf',
									content: Buffer.from('%PDF-1.4 hello'),
								},
								{ name: 'meeting', kind: 'item' as const },
								{ name: 'OneDrive link', kind: 'reference' as const },
							]
						: [],
			})),
		);
		const seen: string[] = [];
		let cursor;
		for await (const batch of provider.changes('Inbox', undefined, { since, limit: 1000 })) {
			seen.push(...batch.messages.map((m) => m.id));
			cursor = batch.cursor;
		}
		expect(seen.sort()).toEqual(added.map((m) => m.id).sort());
		expect(cursor?.link).toMatch(
			/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\/.*\/messages\/delta\?\$deltatoken=/,
		);
		// Every nextLink/deltaLink the fake handed out was requested verbatim.
		const deltaRequests = fake.requests.filter((r) => r.path.includes('/messages/delta'));
		expect(deltaRequests.length).toBeGreaterThanOrEqual(4);

		const parsed = await provider.fetch(
			{ provider: 'graph', account: UPN, mailbox: 'Inbox', id: added[0].id },
			{ ...DEFAULT_POLICY, mimeTypes: ['application/pdf'] },
		);
		expect(parsed.email).toMatchObject({
			provider: 'graph',
			subject: 'm0',
			account: UPN,
			text: 'Body of message 2',
			locator: `graph://${encodeURIComponent(UPN)}/messages/${encodeURIComponent(added[0].id)}`,
		});
		expect(
			parsed.email.attachments.map((a) => [a.filename, a.kind, a.skipped ?? a.binaryProperty]),
		).toEqual([
			['report.pdf', 'fileAttachment', 'attachment_0'],
			['meeting.eml', 'itemAttachment', 'kind'],
			['OneDrive link', 'referenceAttachment', 'kind'],
		]);
		expect((parsed.attachments[0].stored as { data: Buffer }).data.toString()).toBe(
			'%PDF-1.4 hello',
		);

		// Mark some read, delete some, add two: the next pass emits exactly the two new ones.
		fake.markRead(
			UPN,
			'Inbox',
			added.slice(0, 5).map((m) => m.id),
		);
		fake.removeMessages(UPN, 'Inbox', [added[6].id]);
		const fresh = fake.addMessages(UPN, 'Inbox', [{ subject: 'n1' }, { subject: 'n2' }]);
		const second: string[] = [];
		for await (const batch of provider.changes('Inbox', cursor, { since, limit: 1000 }))
			second.push(...batch.messages.map((m) => m.id));
		expect(second.sort()).toEqual(fresh.map((m) => m.id).sort());
		expect(fake.missingImmutableId).toBe(0);
	});

	it('caps attachment size: the part is listed with skipped "size"', async () => {
		const client = clientWith({ ...base(), clientSecret: fake.clientSecret });
		const provider = new GraphProvider({ client, account: 'cap@contoso.com' });
		const [message] = fake.addMessages('cap@contoso.com', 'Inbox', [
			{
				attachments: [
					{ name: 'big.pdf', contentType: 'application/pdf', content: Buffer.alloc(5000, 1) },
				],
			},
		]);
		const parsed = await provider.fetch(
			{ provider: 'graph', account: 'cap@contoso.com', mailbox: 'Inbox', id: message.id },
			{ ...DEFAULT_POLICY, maxAttachmentBytes: 1000 },
		);
		expect(parsed.attachments).toHaveLength(0);
		expect(parsed.email.attachments[0]).toMatchObject({ filename: 'big.pdf', skipped: 'size' });
	});

	it('downloads item attachments as .eml when asked; reference attachments stay listed only', async () => {
		const client = clientWith({ ...base(), clientSecret: fake.clientSecret });
		const provider = new GraphProvider({
			client,
			account: 'items@contoso.com',
			includeItemAttachments: true,
		});
		const [message] = fake.addMessages('items@contoso.com', 'Inbox', [
			{
				attachments: [
					{ name: 'Fwd: invoice', kind: 'item', content: 'Subject: inner\r\n\r\nhi' },
					{ name: 'cloud link', kind: 'reference' },
				],
			},
		]);
		const parsed = await provider.fetch(
			{ provider: 'graph', account: 'items@contoso.com', mailbox: 'Inbox', id: message.id },
			{ ...DEFAULT_POLICY, mimeTypes: ['message/rfc822'] },
		);
		expect(
			parsed.email.attachments.map((a) => [
				a.filename,
				a.contentType,
				a.binaryProperty ?? a.skipped,
			]),
		).toEqual([
			['Fwd: invoice.eml', 'message/rfc822', 'attachment_0'],
			['cloud link', 'application/octet-stream', 'kind'],
		]);
		expect((parsed.attachments[0].stored as { data: Buffer }).data.toString()).toContain(
			'Subject: inner',
		);
	});

	it('remediation: tags with categories (keeping the others), deletes one attachment, moves to quarantine keeping the immutable id', async () => {
		const account = 'remediate@contoso.com';
		const client = clientWith({ ...base(), clientSecret: fake.clientSecret });
		const provider = new GraphProvider({ client, account });
		const [message] = fake.addMessages(account, 'Inbox', [
			{
				subject: 'Invoice',
				attachments: [
					{ name: 'invoice.pdf', contentType: 'application/pdf', content: '%PDF-1.7' },
					{ name: 'payload.js', contentType: 'text/javascript', content: 'eval(1)' },
				],
			},
		]);
		const ref = { provider: 'graph' as const, account, mailbox: 'Inbox', id: message.id };
		const inbox = async () => {
			const ids: string[] = [];
			for await (const batch of provider.changes('Inbox', undefined, {
				since: new Date(0),
				limit: 100,
			}))
				ids.push(...batch.messages.map((m) => m.id));
			return ids;
		};
		expect(await inbox()).toEqual([message.id]);

		await provider.setFlags(ref, { add: ['Reviewed'] });
		await provider.setFlags(ref, { add: ['Malicious', 'DSX'], remove: ['Reviewed'] });
		expect(fake.messages(account, 'Inbox')[0].categories).toEqual(['Malicious', 'DSX']);

		const [, payload] = fake.messages(account, 'Inbox')[0].attachments;
		expect(await provider.deleteAttachment(ref, payload.id)).toEqual(ref);
		expect(fake.messages(account, 'Inbox')[0].attachments.map((a) => a.name)).toEqual([
			'invoice.pdf',
		]);

		const moved = await provider.move(ref, 'Quarantine');
		expect(moved).toEqual({ ...ref, mailbox: 'Quarantine', id: message.id });
		expect(fake.messages(account, 'Inbox')).toHaveLength(0);
		expect(await inbox()).toEqual([]);
		const parsed = await provider.fetch(moved, DEFAULT_POLICY);
		expect(parsed.email).toMatchObject({ subject: 'Invoice', categories: ['Malicious', 'DSX'] });
		expect(parsed.email.attachments.map((a) => a.filename)).toEqual(['invoice.pdf']);
		expect(fake.missingImmutableId).toBe(0);
	});
});
