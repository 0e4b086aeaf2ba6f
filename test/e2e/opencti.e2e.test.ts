// The example workflow examples/imap-to-opencti.json in a real n8n: the Email Intel IMAP
// Trigger polls a seeded Dovecot mailbox, the OpenCTI node turns each email into a report on
// the schema-validating fake OpenCTI, files and TLP included, and nothing is sent that the
// real schema would refuse.

import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { start, type FakeOpenCti } from '../fakes/opencti';
import { EMAILS } from '../fixtures/opencti/emails';
import { newWorkflowId, nodeOutput, startN8n, type Json, type N8nInstance } from './harness';
import { imapCredential, imapToOpenCtiExample, seedOpenCtiEmails } from './seeds';

const AMBER_STRICT = 'marking-definition--826578e1-40ad-459f-bc73-ede076f81f37';

describe('example workflow "IMAP → OpenCTI" in n8n 2.41.1', () => {
	let dovecot: DovecotServer;
	let opencti: FakeOpenCti;
	let n8n: N8nInstance;
	const workflowId = newWorkflowId();

	beforeAll(async () => {
		opencti = await start({ version: '6.9.7' });
		dovecot = await startDovecot();
		await seedOpenCtiEmails(dovecot);

		const example = imapToOpenCtiExample();
		const workflow = { ...example, id: workflowId };
		n8n = await startN8n({
			workflows: [workflow],
			publish: [workflowId],
			credentials: [
				imapCredential(dovecot, {
					id: example.nodes[0].credentials.emailIntelImapApi.id,
					name: 'Threat intel mailbox',
					tls: true,
				}),
				{
					id: example.nodes[1].credentials.emailIntelOpenCtiApi.id,
					name: 'OpenCTI',
					type: 'emailIntelOpenCtiApi',
					// The fake listens on plain HTTP, as a Docker-internal platform does.
					data: { url: opencti.url, token: opencti.token, allowUnencryptedHttp: true },
				},
			],
		});
	}, 300_000);

	afterAll(async () => {
		await n8n?.stop();
		await dovecot?.stop();
		await opencti?.stop();
	});

	it('ingests every seeded email as one OpenCTI report, like the connector', async () => {
		const [execution] = await n8n.waitForExecutions(workflowId, 1, 180_000);
		const output = nodeOutput(execution, 'OpenCTI');
		expect(output.map((item: Json) => item.json.error)).toEqual(EMAILS.map(() => undefined));
		expect(output.map((item: Json) => item.json.name).sort()).toEqual(
			[
				'APT29 phishing wave',
				'<no subject> from bob@cert.example',
				'Weekly TLP:AMBER digest',
				'Sample with image',
				'X_',
			].sort(),
		);

		const reports = [...opencti.store.reports.values()];
		expect(reports).toHaveLength(EMAILS.length);
		const byName = new Map(reports.map((report) => [report.name, report]));
		const digest = byName.get('Weekly TLP:AMBER digest')!;
		expect(digest).toMatchObject({
			published: '2025-06-05T08:15:00Z',
			report_types: ['threat-report'],
			objectMarking: [AMBER_STRICT],
			content: '<html><body><h1>Digest</h1><p>in html</p></body></html>',
			externalReferences: [{ source_name: 'email', external_id: 'mid:<m3@isac.example>' }],
		});
		expect(digest.description).toBe(
			'**Email Received From**: carol@isac.example  \n**Email Received At**: 2025-06-05 08:15:00+00:00  \n' +
				'**Email Subject**: Weekly TLP:AMBER digest  \n**Email Attachment Count**: 3  \n  \n' +
				'Please consult the content section to view the email content.',
		);
		expect(
			digest.files.map((file) => [file.name, file.mimeType, file.data.toString(), file.markings]),
		).toEqual([
			['digest.pdf', 'application/pdf', '%PDF-1.7 digest', [AMBER_STRICT]],
			['iocs.csv', 'text/csv', 'type,value\nipv4,1.2.3.4\n', [AMBER_STRICT]],
			['notes.txt', 'text/plain', 'analyst notes', [AMBER_STRICT]],
		]);
		expect(byName.get('Sample with image')!.files.map((file) => file.name)).toEqual(['brief.pdf']);
		expect(byName.get('<no subject> from bob@cert.example')!.content).toBe(
			'<p>See the <b>attached</b> report.</p>',
		);
		expect(opencti.invalidRequests()).toEqual([]);
	}, 240_000);

	it('tests the OpenCTI credential with a version query: a good token passes, a bad one is named, http:// needs the switch', async () => {
		const test = (token: string, allowUnencryptedHttp = true) =>
			n8n.rest('POST', '/credentials/test', {
				credentials: {
					id: 'openCtiCredent01',
					name: 'OpenCTI',
					type: 'emailIntelOpenCtiApi',
					data: { url: `${opencti.url}/`, token, allowUnencryptedHttp },
				},
			});
		opencti.resetCounters();
		expect(await test(opencti.token)).toMatchObject({ status: 'OK' });
		expect(await test('revoked-token')).toMatchObject({
			status: 'Error',
			message: expect.stringMatching(/^OpenCTI rejected the API token/),
		});
		// Refused before the token is sent: no third request reaches the platform.
		expect(await test(opencti.token, false)).toMatchObject({
			status: 'Error',
			message: expect.stringContaining('"Allow Unencrypted HTTP"'),
		});
		expect(opencti.requests.map((request) => request.operationName)).toEqual([
			'EmailIntelAbout',
			'EmailIntelAbout',
		]);
		expect(opencti.invalidRequests()).toEqual([]);
	});
});
