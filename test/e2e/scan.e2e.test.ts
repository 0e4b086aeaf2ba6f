// Microsoft 365 Mail Poll Trigger → Deep Instinct DSX → three outputs, in a real n8n (2.41.1, the
// pack installed as a community package), against the https Graph fake and the DSXA fake: the
// EICAR test file in a PDF-named attachment comes out of Malicious, a benign PDF out of Clean,
// an email without attachments out of Not Scanned — each once, with its binaries and `scan`.
import { startFakeGraph, type FakeGraph } from '../fakes/graph';
import { EICAR, startFakeDsxa, type FakeDsxa } from '../fakes/dsxa';
import {
	newWorkflowId,
	nodeOutput,
	packNodeType,
	startN8n,
	type Json,
	type N8nInstance,
} from './harness';

const UPN = 'soc@contoso.com';
const OUTPUTS = ['Malicious', 'Clean', 'Not Scanned'] as const;

describe('Microsoft 365 Mail Poll Trigger → Deep Instinct DSX in a real n8n', () => {
	const workflowId = newWorkflowId();
	const graphCredential = 'GraphScanCred001';
	const dsxCredential = 'DsxaScanCred0001';
	let graph: FakeGraph;
	let dsxa: FakeDsxa;
	let n8n: N8nInstance;

	beforeAll(async () => {
		graph = await startFakeGraph({ defaultPageSize: 10 });
		dsxa = await startFakeDsxa({ token: 'dsxa-token' });
		graph.addMessages(UPN, 'Inbox', [
			{
				subject: 'EICAR report',
				attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf', content: EICAR }],
			},
			{
				subject: 'Benign report',
				attachments: [
					{
						name: 'report.pdf',
						contentType: 'application/pdf',
						content: Buffer.from('%PDF-1.7 quarterly figures'),
					},
				],
			},
			{ subject: 'No attachment' },
		]);
		const noOp = (name: string, y: number) => ({
			id: name.replace(/\W/g, '').toLowerCase(),
			name,
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [440, y],
			parameters: {},
		});
		const workflow = {
			id: workflowId,
			name: 'e2e: Microsoft 365 → Deep Instinct DSX',
			nodes: [
				{
					id: 'p1',
					name: 'M365 Poll',
					type: packNodeType('microsoft365MailPollTrigger'),
					typeVersion: 1,
					position: [0, 0],
					parameters: {
						pollTimes: { item: [{ mode: 'everyMinute' }] },
						mailboxes: UPN,
						options: { attachmentMimeTypes: 'application/pdf' },
					},
					credentials: { microsoftGraphAppApi: { id: graphCredential, name: 'Graph fake' } },
				},
				{
					id: 'd1',
					name: 'DSX',
					type: packNodeType('deepInstinctDsx'),
					typeVersion: 1,
					position: [220, 0],
					parameters: { operation: 'scanAttachments' },
					credentials: { deepInstinctDsxApi: { id: dsxCredential, name: 'DSXA fake' } },
				},
				...OUTPUTS.map((name, index) => noOp(name, index * 160 - 160)),
			],
			connections: {
				'M365 Poll': { main: [[{ node: 'DSX', type: 'main', index: 0 }]] },
				DSX: { main: OUTPUTS.map((name) => [{ node: name, type: 'main', index: 0 }]) },
			},
		};
		n8n = await startN8n({
			env: { NODE_EXTRA_CA_CERTS: graph.caPath },
			credentials: [
				{
					id: graphCredential,
					name: 'Graph fake',
					type: 'microsoftGraphAppApi',
					data: graph.credentialData({ trustCa: false }),
				},
				{
					id: dsxCredential,
					name: 'DSXA fake',
					type: 'deepInstinctDsxApi',
					// The fake listens on plain HTTP, as DSXA does on a trusted internal network.
					data: { url: dsxa.url, token: 'dsxa-token', allowUnencryptedHttp: true },
				},
			],
			workflows: [workflow],
			publish: [workflowId],
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await dsxa?.stop();
		await graph?.close();
	});

	it('routes each email to its output once, binaries and scan report kept', async () => {
		const executions = await n8n.waitForExecutions(workflowId, 1, 180_000);
		expect(executions.map((execution: Json) => execution.status)).toEqual(['success']);
		const routed = Object.fromEntries(
			OUTPUTS.map((name) => [
				name,
				executions.flatMap((execution: Json) => nodeOutput(execution, name)),
			]),
		) as Record<(typeof OUTPUTS)[number], Json[]>;
		expect(
			Object.fromEntries(
				OUTPUTS.map((name) => [name, routed[name].map((item) => item.json.subject)]),
			),
		).toEqual({
			Malicious: ['EICAR report'],
			Clean: ['Benign report'],
			'Not Scanned': ['No attachment'],
		});
		const [malicious] = routed.Malicious;
		expect(malicious.json.scan).toMatchObject({
			verdict: 'Malicious',
			engine: 'dsxa',
			files: [{ verdict: 'Malicious', attachment: { filename: 'invoice.pdf' } }],
		});
		expect(malicious.binary?.attachment_0).toMatchObject({ fileName: 'invoice.pdf' });
		expect(routed.Clean[0].json.scan.verdict).toBe('Benign');
		// Only the two PDFs went to the scanner, once each, with the token.
		expect(dsxa.scans.map((scan) => scan.verdict).sort()).toEqual(['Benign', 'Malicious']);
		expect(dsxa.scans.every((scan) => scan.headers.auth === 'dsxa-token')).toBe(true);
	});
});
