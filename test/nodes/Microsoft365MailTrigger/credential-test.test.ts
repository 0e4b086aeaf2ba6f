import type { ICredentialTestFunctions } from 'n8n-workflow';
import net from 'node:net';

import { Microsoft365MailTrigger } from '../../../nodes/Microsoft365MailTrigger/Microsoft365MailTrigger.node';
import { Microsoft365MailPollTrigger } from '../../../nodes/Microsoft365MailPollTrigger/Microsoft365MailPollTrigger.node';
import { MicrosoftGraphAppApi } from '../../../credentials/MicrosoftGraphAppApi.credentials';
import { makeSelfSigned, startFakeGraph, type FakeGraph } from '../../fakes/graph';

describe('microsoftGraphAppApi credential test (methods.credentialTest)', () => {
	let fake: FakeGraph;
	beforeAll(async () => {
		fake = await startFakeGraph();
	});
	afterAll(async () => fake.close());

	const test = (data: Record<string, unknown>) =>
		new Microsoft365MailTrigger().methods.credentialTest.microsoftGraphAppApiTest.call(
			{} as ICredentialTestFunctions,
			{
				id: 'c1',
				name: 'graph',
				type: 'microsoftGraphAppApi',
				data: {
					tenantId: fake.tenantId,
					clientId: fake.clientId,
					authorityHost: fake.authorityHost,
					graphBaseUrl: fake.url,
					caCertificate: fake.caPem,
					...data,
				},
			},
		);

	it('both nodes point the credential at this test, and the credential declares the fields it reads', () => {
		for (const node of [new Microsoft365MailTrigger(), new Microsoft365MailPollTrigger()]) {
			expect(node.description.credentials).toEqual([
				{ name: 'microsoftGraphAppApi', required: true, testedBy: 'microsoftGraphAppApiTest' },
			]);
			expect(typeof node.methods.credentialTest.microsoftGraphAppApiTest).toBe('function');
		}
		const fields = new MicrosoftGraphAppApi().properties.map((p) => p.name);
		expect(fields).toEqual(
			expect.arrayContaining([
				'tenantId',
				'clientId',
				'authType',
				'clientSecret',
				'privateKey',
				'certificateThumbprint',
				'authorityHost',
				'graphBaseUrl',
				'testMailbox',
			]),
		);
	});

	it('gets a token and reads one folder of the test mailbox', async () => {
		const before = fake.requests.length;
		await expect(
			test({ authType: 'secret', clientSecret: fake.clientSecret, testMailbox: 'soc@contoso.com' }),
		).resolves.toEqual({
			status: 'OK',
			message: 'Token acquired and folders of soc@contoso.com read',
		});
		expect(
			fake.requests
				.slice(before)
				.some(
					(r) => r.path.startsWith('/v1.0/users/soc%40contoso.com/mailFolders') && r.status === 200,
				),
		).toBe(true);
	});

	it('works with a certificate', async () => {
		const cert = makeSelfSigned('cred-test-app', 'DNS:app.invalid');
		fake.registerCertificate(cert.certPem);
		await expect(
			test({
				authType: 'certificate',
				privateKey: cert.keyPem,
				certificateThumbprint: cert.thumbprintSha256,
			}),
		).resolves.toEqual({ status: 'OK', message: 'Token acquired' });
	});

	it('says what is wrong and what to do', async () => {
		const wrong = await test({ authType: 'secret', clientSecret: 'nope' });
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toMatch(/Invalid client secret.*Check the client secret/);
		const empty = await test({ authType: 'secret', clientSecret: '', tenantId: '' });
		expect(empty).toEqual({
			status: 'Error',
			message: expect.stringContaining('Tenant ID is empty'),
		});
	});
});

describe('a credential test names the field of each mistake', () => {
	let fake: FakeGraph;
	/** A port nothing listens on: the authority host or Graph URL "unreachable". */
	let closedPort: number;
	beforeAll(async () => {
		fake = await startFakeGraph();
		const server = net.createServer();
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		closedPort = (server.address() as net.AddressInfo).port;
		await new Promise((resolve) => server.close(resolve));
	});
	afterAll(async () => fake.close());

	const test = (data: Record<string, unknown>) =>
		new Microsoft365MailTrigger().methods.credentialTest.microsoftGraphAppApiTest.call(
			{} as ICredentialTestFunctions,
			{
				id: 'c2',
				name: 'graph',
				type: 'microsoftGraphAppApi',
				data: {
					tenantId: fake.tenantId,
					clientId: fake.clientId,
					authType: 'secret',
					clientSecret: fake.clientSecret,
					authorityHost: fake.authorityHost,
					graphBaseUrl: fake.url,
					caCertificate: fake.caPem,
					...data,
				},
			},
		);

	it('a wrong client id names the Client ID, not the secret', async () => {
		const result = await test({ clientId: '11111111-2222-3333-4444-555555555555' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/AADSTS700016: Application with identifier '11111111-2222/);
		expect(result.message).toMatch(/Credential field to check: Client ID\.$/);
		expect(result.message).not.toMatch(/secret/i);
	});

	it('a wrong secret names the Client Secret', async () => {
		const result = await test({ clientSecret: 'not-the-value' });
		expect(result.message).toMatch(/AADSTS7000215: Invalid client secret provided/);
		expect(result.message).toMatch(/Credential field to check: Client Secret\.$/);
		// Entra's trace lines do not end up in the sentence; the ids are kept once.
		expect(result.message).not.toMatch(/\r|\n/);
		expect(result.message).toMatch(/trace ID [0-9a-f-]{36}, correlation ID [0-9a-f-]{36}/);
	});

	it('a wrong tenant names the Tenant ID', async () => {
		const result = await test({ tenantId: '99999999-8888-7777-6666-555555555555' });
		expect(result.message).toMatch(/AADSTS90002: Tenant '99999999-8888/);
		expect(result.message).toMatch(/Credential field to check: Tenant ID\.$/);
	});

	it('an unreachable authority host names the Authority Host, not a bare network_error', async () => {
		const result = await test({ authorityHost: `127.0.0.1:${closedPort}` });
		expect(result.message).toMatch(
			new RegExp(`Entra ID token endpoint at the authority host 127\\.0\\.0\\.1:${closedPort}`),
		);
		expect(result.message).toMatch(/refused the connection/);
		expect(result.message).toMatch(/Credential field to check: Authority Host\.$/);
		expect(result.message).not.toMatch(/network_error/);
	});

	it('an untrusted authority host names the CA certificate field', async () => {
		const result = await test({ caCertificate: '' });
		expect(result.message).toMatch(/is not trusted/);
		expect(result.message).toMatch(
			/Credential field to check: Extra Trusted CA Certificate \(PEM\)\.$/,
		);
	});

	it('an unreachable Graph URL names the Graph Base URL, not a bare ECONNREFUSED', async () => {
		const result = await test({
			graphBaseUrl: `https://127.0.0.1:${closedPort}`,
			testMailbox: 'soc@contoso.com',
		});
		expect(result.message).toMatch(
			new RegExp(`Could not reach Microsoft Graph at https://127\\.0\\.0\\.1:${closedPort}`),
		);
		expect(result.message).toMatch(/Credential field to check: Graph Base URL\.$/);
	});
});
