import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import {
	type ICredentialTestFunctions,
	NodeApiError,
	NodeOperationError,
	type INodeExecutionData,
	type INodeType,
} from 'n8n-workflow';

import { OpenCti } from '../../../nodes/OpenCti/OpenCti.node';
import { start, type FakeOpenCti } from '../../fakes/opencti';
import { EMAILS, normalizedFixture } from '../../fixtures/opencti/emails';
import { runNode, shutdownN8nCore } from '../../helpers/n8n/execute';

const AMBER_STRICT = 'marking-definition--826578e1-40ad-459f-bc73-ede076f81f37';
const GREEN = 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da';

/** Email items as a trigger emits them: the normalized JSON plus attachment_N binaries. */
async function emailItems(): Promise<INodeExecutionData[]> {
	return Promise.all(
		EMAILS.map(async (spec) => {
			const { email, binaries } = await normalizedFixture(spec);
			const binary = Object.fromEntries(
				Object.entries(binaries).map(([property, stored]) => [
					property,
					{
						data: stored.data.toString('base64'),
						mimeType: stored.mimeType,
						fileName: stored.fileName,
					},
				]),
			);
			return { json: JSON.parse(JSON.stringify(email)), binary };
		}),
	);
}

describe('OpenCTI node (inside n8n-core ExecuteContext) against the fake platform', () => {
	let fake: FakeOpenCti;
	let items: INodeExecutionData[];
	const run = (
		parameters: Record<string, unknown>,
		input: INodeExecutionData[] = items,
		extra: { token?: string; continueOnFail?: boolean } = {},
	) =>
		runNode(new OpenCti(), {
			parameters: parameters as never,
			items: input,
			credentials: {
				emailIntelOpenCtiApi: {
					url: fake.url,
					token: extra.token ?? fake.token,
					// The fake listens on plain HTTP, as a Docker-internal platform does.
					allowUnencryptedHttp: true,
				},
			},
			continueOnFail: extra.continueOnFail,
		});

	beforeAll(async () => {
		items = await emailItems();
	});
	afterAll(shutdownN8nCore);
	beforeEach(async () => {
		fake = await start({ version: '6.9.7' });
	});
	afterEach(async () => {
		expect(fake.invalidRequests()).toEqual([]);
		await fake.stop();
	});

	test('description: versioned, usable as a tool, emailIntelOpenCtiApi credential, codex and both icons present', () => {
		const node = new OpenCti();
		const v1 = node.getNodeType(1) as INodeType;
		expect(v1.description.name).toBe('openCti');
		expect(v1.description.usableAsTool).toBe(true);
		expect(v1.description.credentials).toEqual([
			{ name: 'emailIntelOpenCtiApi', required: true, testedBy: 'emailIntelOpenCtiApiTest' },
		]);
		const root = path.resolve(__dirname, '../../..');
		expect(
			JSON.parse(readFileSync(path.join(root, 'nodes/OpenCti/OpenCti.node.json'), 'utf8')).node,
		).toBe('n8n-nodes-email-intel.openCti');
		for (const icon of ['opencti.svg', 'opencti.dark.svg'])
			expect(existsSync(path.join(root, 'icons', icon))).toBe(true);
	});

	test.each([
		['6.9.7', 'reportAdd'],
		['6.5.10', 'importPush'],
	])(
		'Create Report from Email on %s: one report per email, the connector mapping, files with markings',
		async (version, mode) => {
			fake.setVersion(version);
			const [output] = await run({ resource: 'report', operation: 'createFromEmail' });
			expect(output).toHaveLength(EMAILS.length);
			expect(fake.store.reports.size).toBe(EMAILS.length);
			output.forEach((item, index) => {
				const email = items[index].json as {
					subject: string;
					date: string;
					from: { address: string };
					html: string;
					text: string;
				};
				const stored = fake.store.reports.get(item.json.standard_id as string)!;
				expect(item.pairedItem).toEqual({ item: index });
				expect(item.json.id).toBe(stored.id);
				expect(item.json.name).toBe(stored.name);
				expect(stored.published).toBe(email.date);
				// The connector's content rule (test/lib/opencti/connector-rules.test.ts has it byte for byte).
				expect(stored.content).toBe(email.html || email.text.replace(/\n/g, '<br>\n'));
				expect(stored.objectMarking).toEqual([AMBER_STRICT]);
				expect(stored.report_types).toEqual(['threat-report']);
				expect(stored.description).toBe(
					`**Email Received From**: ${email.from.address}  \n**Email Received At**: ${EMAILS[index].receivedAt}  \n` +
						`**Email Subject**: ${stored.name}  \n**Email Attachment Count**: ${stored.files.length}  \n  \n` +
						'Please consult the content section to view the email content.',
				);
				expect((item.json.files as Array<{ name: string }>).map((file) => file.name)).toEqual(
					stored.files.map((file) => file.name),
				);
				for (const file of stored.files) expect(file.markings).toEqual([AMBER_STRICT]);
				expect(item.json.uploadMode).toBe(stored.files.length ? mode : 'none');
			});
			expect(output.map((item) => item.json.name)).toEqual([
				'APT29 phishing wave',
				'<no subject> from bob@cert.example',
				'Weekly TLP:AMBER digest',
				'Sample with image',
				'X_',
			]);
			expect(output.map((item) => (item.json.files as unknown[]).length)).toEqual([0, 1, 3, 1, 0]);
		},
	);

	test('re-running the same emails creates no second report', async () => {
		const [first] = await run({ resource: 'report', operation: 'createFromEmail' });
		const [second] = await run({ resource: 'report', operation: 'createFromEmail' });
		expect(second.map((item) => item.json.id)).toEqual(first.map((item) => item.json.id));
		expect(fake.store.reports.size).toBe(EMAILS.length);
	});

	test('options: TLP, labels, confidence, Message-ID external reference, MIME list', async () => {
		const [output] = await run(
			{
				resource: 'report',
				operation: 'createFromEmail',
				tlp: 'green',
				attachmentMimeTypes: 'application/pdf, image/png',
				options: {
					labels: 'phishing, email-intel',
					confidence: 70,
					externalReferenceId: 'mid:<m4@vendor.example>',
					authorName: 'SOC Mailbox',
				},
			},
			[items[3]],
		);
		const stored = fake.store.reports.get(output[0].json.standard_id as string)!;
		expect(stored.objectMarking).toEqual([GREEN]);
		expect(stored.objectLabel).toEqual(['phishing', 'email-intel']);
		expect(stored.confidence).toBe(70);
		expect(stored.externalReferences).toEqual([
			{ source_name: 'email', external_id: 'mid:<m4@vendor.example>' },
		]);
		expect(stored.files.map((file) => [file.name, file.markings])).toEqual([
			['screenshot.png', [GREEN]],
			['brief.pdf', [GREEN]],
		]);
	});

	test('a bad token stops the node with a NodeApiError naming the token and the capabilities', async () => {
		const error = await run({ resource: 'report', operation: 'createFromEmail' }, items, {
			token: 'expired',
		}).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(NodeApiError);
		const apiError = error as NodeApiError;
		expect(apiError.message).toBe(
			'OpenCTI rejected the API token (You must be logged in to do this.)',
		);
		expect(apiError.description).toContain('KNOWLEDGE_KNUPDATE');
		expect(apiError.description).toContain('KNOWLEDGE_KNUPLOAD');
		expect(apiError.context.itemIndex).toBe(0);
		expect(fake.store.reports.size).toBe(0);
	});

	test('continue on fail: a GraphQL error and a persistent 502 fail their items only, later items go through', async () => {
		let calls = 0;
		fake.fault({
			kind: 'graphqlError',
			message: 'Validation error: report name too long',
			when: ({ variables }) =>
				(variables.input as { name?: string } | undefined)?.name ===
				'<no subject> from bob@cert.example',
		});
		const [output] = await run({ resource: 'report', operation: 'createFromEmail' }, items, {
			continueOnFail: true,
		});
		expect(output).toHaveLength(EMAILS.length);
		expect(output[1].json).toEqual({
			error: 'OpenCTI reportAdd failed: Validation error: report name too long',
			description: expect.stringContaining("OpenCTI's own message"),
		});
		expect(output[1].pairedItem).toEqual({ item: 1 });
		expect(output.filter((item) => item.json.id).map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 2 },
			{ item: 3 },
			{ item: 4 },
		]);

		fake.fault({
			kind: 'badGateway',
			when: ({ variables }) =>
				(variables.input as { name?: string } | undefined)?.name === 'Sample with image' &&
				++calls > 0,
		});
		const [again] = await run(
			{ resource: 'report', operation: 'createFromEmail' },
			items.slice(2),
			{ continueOnFail: true },
		);
		expect(again[1].json.error).toContain('OpenCTI answered HTTP 502');
		expect(again[1].json.description).toContain('retried with backoff');
		expect(calls).toBe(5); // first try + 4 retries (lib/util/retry.ts DEFAULT_RETRY)
		expect(again[0].json.id).toBeDefined();
		expect(again[2].json.id).toBeDefined();
	}, 60_000);

	test('a 502 that clears is retried transparently', async () => {
		fake.fault({ kind: 'badGateway', times: 1 });
		const [output] = await run({ resource: 'report', operation: 'createFromEmail' }, [items[0]]);
		expect(output[0].json.name).toBe('APT29 phishing wave');
		expect(fake.requests.filter((request) => request.status === 502)).toHaveLength(1);
	});

	test('an item that is not an email says which field is missing and what to connect', async () => {
		const error = await run({ resource: 'report', operation: 'createFromEmail' }, [
			{ json: { subject: 'hello' } },
		]).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).message).toBe(
			'The input item is not an email item: it has no valid "date"',
		);
		expect((error as NodeOperationError).description).toContain('Email Intel Parse');
	});

	test('Create Report from fields and Upload File to it', async () => {
		const pdf = {
			data: Buffer.from('%PDF manual').toString('base64'),
			mimeType: 'application/pdf',
			fileName: 'manual.pdf',
		};
		const [created] = await run(
			{
				resource: 'report',
				operation: 'create',
				name: 'Manual report',
				published: '2025-06-01T10:00:00Z',
				description: 'by hand',
				tlp: 'amber',
				binaryPropertyNames: 'data',
			},
			[{ json: {}, binary: { data: pdf } }],
		);
		const stored = fake.store.reports.get(created[0].json.standard_id as string)!;
		expect(stored).toMatchObject({
			name: 'Manual report',
			description: 'by hand',
			published: '2025-06-01T10:00:00.000Z',
			report_types: ['threat-report'],
		});
		expect(stored.files.map((file) => [file.name, file.markings])).toEqual([
			['manual.pdf', ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82']],
		]);

		const csv = {
			data: Buffer.from('a,b\n1,2\n').toString('base64'),
			mimeType: 'text/csv',
			fileName: 'iocs.csv',
		};
		const [uploaded] = await run(
			{
				resource: 'file',
				operation: 'upload',
				entityId: created[0].json.id,
				binaryPropertyName: 'data',
				tlp: 'red',
			},
			[{ json: {}, binary: { data: csv } }],
		);
		expect(uploaded[0].json).toMatchObject({
			entityId: created[0].json.id,
			name: 'iocs.csv',
			size: 8,
		});
		expect(uploaded[0].pairedItem).toEqual({ item: 0 });
		expect(stored.files.map((file) => file.name)).toEqual(['manual.pdf', 'iocs.csv']);
		expect(stored.files[1].markings).toEqual([
			'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
		]);
	});

	describe('credential test (methods.credentialTest, the client the node runs)', () => {
		const credentialTest = (data: Record<string, unknown>) => {
			const v1 = new OpenCti().getNodeType(1) as INodeType;
			return v1.methods!.credentialTest!.emailIntelOpenCtiApiTest.call(
				{} as ICredentialTestFunctions,
				{ id: '1', name: 'OpenCTI', type: 'emailIntelOpenCtiApi', data: data as never },
			);
		};

		test('a good token passes and names the platform version', async () => {
			await expect(
				credentialTest({ url: `${fake.url}/`, token: fake.token, allowUnencryptedHttp: true }),
			).resolves.toEqual({ status: 'OK', message: 'Connected to OpenCTI 6.9.7' });
		});

		test('a bad token is named', async () => {
			const result = await credentialTest({
				url: fake.url,
				token: 'revoked-token',
				allowUnencryptedHttp: true,
			});
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(
				/^OpenCTI rejected the API token \(You must be logged in to do this\.\)\. Check the OpenCTI API credential/,
			);
		});

		test('http:// without "Allow Unencrypted HTTP": refused, and the token never left n8n', async () => {
			const result = await credentialTest({ url: fake.url, token: fake.token });
			expect(result).toEqual({
				status: 'Error',
				message:
					`"${fake.url}" is unencrypted HTTP: the OpenCTI API token would be sent in clear text. ` +
					'Use the https:// address of the platform in the URL field. If n8n reaches OpenCTI only over a trusted ' +
					'internal network (e.g. Docker\'s http://opencti:8080), turn on "Allow Unencrypted HTTP" in the Email Intel OpenCTI API credential.',
			});
			expect(fake.requests).toEqual([]);
		});

		test('an execution with an http:// URL and the switch off fails the same way, naming the switch', async () => {
			const error = await runNode(new OpenCti(), {
				parameters: { resource: 'report', operation: 'createFromEmail' } as never,
				items,
				credentials: { emailIntelOpenCtiApi: { url: fake.url, token: fake.token } },
			}).then(
				() => undefined,
				(caught: unknown) => caught as NodeOperationError,
			);
			expect(error?.message).toBe(
				`"${fake.url}" is unencrypted HTTP: the OpenCTI API token would be sent in clear text`,
			);
			expect(error?.description).toContain('Field to check: allowUnencryptedHttp');
			expect(fake.requests).toEqual([]);
		});
	});
});
