import type { ICredentialTestFunctions } from 'n8n-workflow';

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
