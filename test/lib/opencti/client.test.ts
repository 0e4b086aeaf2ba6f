import { createHash } from 'node:crypto';

import { parse, validate } from 'graphql';

import { isMailIntelError, MailIntelError } from '../../../lib/errors';
import {
	ALL_OPERATIONS,
	mapEmailToReport,
	OpenCtiClient,
	selectReportAttachments,
	type EmailReportOptions,
	type ReportPlan,
} from '../../../lib/opencti';
import { openCtiSchema, start, type FakeOpenCti } from '../../fakes/opencti';
import { EMAILS, normalizedFixture } from '../../fixtures/opencti/emails';

const AMBER_STRICT = 'marking-definition--826578e1-40ad-459f-bc73-ede076f81f37';
/** Computed independently with Python's uuid.uuid5 (see the standard-id test below). */
const CONNECTOR_AUTHOR_STANDARD_ID = 'identity--f1f25c53-7d95-5ee6-b5d0-3379bfb2e997';
const noWait = { retries: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined };

async function planFor(key: string, options: EmailReportOptions = {}) {
	const spec = EMAILS.find((email) => email.key === key)!;
	const { email, binaries } = await normalizedFixture(spec);
	const chosen = selectReportAttachments(email, options.mimeTypes);
	const plan = mapEmailToReport(
		email,
		chosen.map((info) => ({ info, data: binaries[info.binaryProperty!].data })),
		options,
	);
	return { email, plan, spec };
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('OpenCTI client against the schema-validating fake', () => {
	let fake: FakeOpenCti;
	const client = (overrides: Partial<ConstructorParameters<typeof OpenCtiClient>[0]> = {}) =>
		new OpenCtiClient({
			url: fake.url,
			token: fake.token,
			// The fake listens on plain HTTP, as a Docker-internal platform does.
			allowUnencryptedHttp: true,
			retry: noWait,
			...overrides,
		});

	beforeEach(async () => {
		fake = await start({ version: '6.9.7' });
	});
	afterEach(async () => {
		expect(fake.invalidRequests()).toEqual([]);
		await fake.stop();
	});

	test('every operation the pack sends validates against the real OpenCTI schema', () => {
		for (const operation of ALL_OPERATIONS)
			expect(validate(openCtiSchema(), parse(operation))).toEqual([]);
	});

	test('the fake rejects an operation the schema does not allow (so the other tests would fail)', async () => {
		const response = await fetch(`${fake.url}/graphql`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${fake.token}` },
			body: JSON.stringify({
				query:
					'mutation { reportAdd(input: {name: "x", published: "2025-01-01", colour: "red"}) { id } }',
			}),
		});
		expect(response.status).toBe(400);
		expect(fake.invalidRequests()).toHaveLength(1);
		expect(fake.invalidRequests()[0].invalid).toContain('colour');
		fake.resetCounters();
	});

	describe.each([
		['6.9.7', 'reportAdd'],
		['7.260817.0', 'reportAdd'],
		['6.5.10', 'importPush'],
	])('on OpenCTI %s', (version, uploadPath) => {
		beforeEach(() => fake.setVersion(version));

		test.each(EMAILS.map((email) => [email.key]))(
			'%s: the stored report is the connector mapping, files and markings included',
			async (key) => {
				const { email, plan, spec } = await planFor(key);
				const created = await client().createReport(plan);
				const stored = fake.store.reports.get(created.standard_id)!;

				expect(stored).toMatchObject({
					id: created.id,
					name: plan.input.name,
					description: plan.input.description,
					content: plan.input.content,
					published: email.date,
					report_types: ['threat-report'],
					createdBy: CONNECTOR_AUTHOR_STANDARD_ID,
					objectMarking: [AMBER_STRICT],
				});
				// Byte for byte, against the text written out in the mapping test's format.
				expect(stored.description).toBe(
					`**Email Received From**: ${email.from!.address}  \n**Email Received At**: ${spec.receivedAt}  \n` +
						`**Email Subject**: ${plan.input.name}  \n**Email Attachment Count**: ${plan.files.length}  \n  \n` +
						'Please consult the content section to view the email content.',
				);
				// Files: what the parser hashed on the way in is what the platform stored, with the report's marking.
				const expectedFiles = email.attachments
					.filter(
						(attachment) =>
							attachment.disposition === 'attachment' &&
							['application/pdf', 'text/csv', 'text/plain'].includes(attachment.contentType),
					)
					.map((attachment) => ({
						name: attachment.filename,
						mimeType: attachment.contentType,
						size: attachment.size,
						sha256: attachment.sha256,
						markings: [AMBER_STRICT],
					}));
				expect(
					stored.files.map(({ name, mimeType, size, sha256: hash, markings }) => ({
						name,
						mimeType,
						size,
						sha256: hash,
						markings,
					})),
				).toEqual(expectedFiles);
				expect(created.files.map((file) => file.name)).toEqual(
					expectedFiles.map((file) => file.name),
				);
				expect(created.uploadMode).toBe(expectedFiles.length ? uploadPath : 'none');
				for (const file of stored.files) expect(file.sha256).toBe(sha256(file.data));
			},
		);

		test('re-running the same email creates no second report (upsert on standard_id)', async () => {
			const { plan } = await planFor('text+html, 3 attachments');
			const first = await client().createReport(plan);
			const second = await client().createReport(plan);
			expect(second.id).toBe(first.id);
			expect(fake.store.reports.size).toBe(1);
			expect(fake.store.reports.get(first.standard_id)!.files).toHaveLength(3);
		});
	});

	test("standard_id is OpenCTI's: report--uuidv5({name: lower(trim(name)), published})", async () => {
		const { plan } = await planFor('text-only, subject, no attachment');
		const created = await client().createReport(plan);
		// python3: uuid.uuid5(UUID('00abedb4-...'), '{"name":"apt29 phishing wave","published":"2025-06-03T08:00:00.000Z"}')
		expect(created.standard_id).toBe('report--c4db8a7e-e0e5-5eb0-836a-be7ae3e6a8fc');
	});

	test('after warm-up a report with files costs one request on 6.9.7+ (version and author cached)', async () => {
		const api = client();
		const plans = await Promise.all(EMAILS.map((email) => planFor(email.key)));
		await api.createReport(plans[2].plan);
		fake.resetCounters();
		for (const { plan } of plans) await api.createReport(plan);
		expect(fake.requests.map((request) => request.operationName)).toEqual(
			EMAILS.map(() => 'EmailIntelReportAdd'),
		);
		expect(
			fake.requests.filter((request) => request.multipart).map((request) => request.files),
		).toEqual([1, 3, 1]);
	});

	test('on 6.5 files go one importPush each, multipart per the spec', async () => {
		fake.setVersion('6.5.10');
		const api = client();
		const { plan } = await planFor('text+html, 3 attachments');
		await api.createReport(plan);
		expect(fake.requests.map((request) => [request.operationName, request.files])).toEqual([
			['EmailIntelAbout', 0],
			['EmailIntelAuthorAdd', 0],
			['EmailIntelReportAdd', 0],
			['EmailIntelImportPush', 1],
			['EmailIntelImportPush', 1],
			['EmailIntelImportPush', 1],
		]);
	});

	test('options reach the platform: author override, labels, confidence, external reference, TLP', async () => {
		const { plan } = await planFor('html-only, no subject, 1 attachment', {
			tlp: 'red',
			authorName: 'SOC Mailbox',
			labels: ['phishing', 'Phishing', 'apt'],
			confidence: 80,
			externalReference: { source_name: 'email', external_id: 'mid:<m2@cert.example>' },
		});
		const created = await client().createReport(plan);
		const stored = fake.store.reports.get(created.standard_id)!;
		expect(stored.objectMarking).toEqual([
			'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
		]);
		expect(stored.files[0].markings).toEqual([
			'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
		]);
		expect(stored.objectLabel).toEqual(['phishing', 'phishing', 'apt']);
		expect(stored.confidence).toBe(80);
		expect(stored.externalReferences).toEqual([
			{ source_name: 'email', external_id: 'mid:<m2@cert.example>' },
		]);
		expect(stored.createdBy).not.toBe(CONNECTOR_AUTHOR_STANDARD_ID);
	});

	describe('errors a user can act on', () => {
		let plan: ReportPlan;
		beforeEach(async () => {
			plan = (await planFor('html-only, no subject, 1 attachment')).plan;
		});

		const failure = async (promise: Promise<unknown>): Promise<MailIntelError> => {
			const error = await promise.then(
				() => undefined,
				(caught: unknown) => caught,
			);
			if (!isMailIntelError(error))
				throw new Error(`expected a MailIntelError, got ${String(error)}`);
			return error;
		};

		test('a bad token (OpenCTI answers AUTH_REQUIRED) names the token and the capabilities', async () => {
			const error = await failure(client({ token: 'wrong' }).createReport(plan));
			expect(error.message).toBe(
				'OpenCTI rejected the API token (You must be logged in to do this.)',
			);
			expect(error.field).toBe('token');
			expect(error.hint).toContain('KNOWLEDGE_KNUPDATE');
			expect(error.hint).toContain('KNOWLEDGE_KNUPLOAD');
			expect(error.retryable).toBe(false);
		});

		test('an HTTP 401 from a proxy or the platform says the same', async () => {
			fake.fault({ kind: 'unauthorized' });
			const error = await failure(client().version());
			expect(error.status).toBe(401);
			expect(error.hint).toContain('API token');
		});

		test.each([
			['unauthorizedJson', 401, 'OpenCTI rejected the API token (Invalid or expired bearer token)'],
			[
				'forbiddenJson',
				403,
				"OpenCTI refused the operation: the token's user lacks a capability (Access denied by policy)",
			],
		] as const)(
			'a %s answer with a JSON error body and no OpenCTI code still names the token (HTTP %i)',
			async (kind, status, message) => {
				// JSON operations (graphql-request) and uploads (multipart) read the body each their own way.
				fake.fault({ kind });
				for (const pending of [client().version(), client().createReport(plan)]) {
					const error = await failure(pending);
					expect(error.message).toBe(message);
					expect(error.status).toBe(status);
					expect(error.field).toBe('token');
					expect(error.hint).not.toContain('fix the input');
				}
				const upload = await failure(
					client().uploadFile('report--x', {
						name: 'a.pdf',
						mimeType: 'application/pdf',
						data: Buffer.from('%PDF'),
						markings: [],
					}),
				);
				expect(upload.field).toBe('token');
				expect(upload.status).toBe(status);
			},
		);

		test('a user without the capability (FORBIDDEN_ACCESS) is told which capabilities to grant', async () => {
			fake.fault({
				kind: 'forbidden',
				when: (request) => request.operationName === 'EmailIntelReportAdd',
			});
			const error = await failure(client().createReport(plan));
			expect(error.message).toBe(
				"OpenCTI refused the operation: the token's user lacks a capability (You are not allowed to do this.)",
			);
			expect(error.status).toBe(403);
			expect(error.hint).toContain('KNOWLEDGE_KNUPDATE');
			expect(error.hint).toContain('KNOWLEDGE_KNUPLOAD');
		});

		test("a GraphQL error carries OpenCTI's own message and is not retried", async () => {
			fake.fault({
				kind: 'graphqlError',
				message: 'Restricted marking: TLP:RED is not allowed for this user',
				when: (request) => request.operationName === 'EmailIntelReportAdd',
			});
			const error = await failure(client().createReport(plan));
			expect(error.message).toBe(
				'OpenCTI reportAdd failed: Restricted marking: TLP:RED is not allowed for this user',
			);
			expect(
				fake.requests.filter((request) => request.operationName === 'EmailIntelReportAdd'),
			).toHaveLength(1);
		});

		test('a 502 is retried with backoff and succeeds when the platform recovers', async () => {
			fake.fault({ kind: 'badGateway', times: 2 });
			const created = await client().createReport(plan);
			expect(created.files).toHaveLength(1);
			expect(fake.requests.filter((request) => request.status === 502)).toHaveLength(2);
		});

		test('a 502 that persists ends in a retryable error saying the platform failed', async () => {
			fake.fault({ kind: 'badGateway' });
			const error = await failure(client().createReport(plan));
			expect(error.status).toBe(502);
			expect(error.retryable).toBe(true);
			expect(error.message).toContain('OpenCTI answered HTTP 502');
			expect(error.hint).toContain('retried');
			expect(
				fake.requests.filter((request) => request.status === 502).length,
			).toBeGreaterThanOrEqual(4);
		});

		test('an unreachable platform names the URL', async () => {
			const port = fake.port;
			await fake.stop();
			const error = await failure(
				new OpenCtiClient({
					url: `http://127.0.0.1:${port}/`,
					token: 't',
					allowUnencryptedHttp: true,
					retry: noWait,
				}).version(),
			);
			expect(error.code).toBe('NETWORK');
			expect(error.field).toBe('url');
			expect(error.message).toContain(`http://127.0.0.1:${port}/graphql`);
			fake = await start();
		});

		test('an http:// URL is refused unless the credential allows it, and no token is sent', () => {
			const refused = (() => {
				try {
					new OpenCtiClient({ url: fake.url, token: fake.token });
				} catch (error) {
					return error as MailIntelError;
				}
				throw new Error('accepted');
			})();
			expect(refused.message).toBe(
				`"${fake.url}" is unencrypted HTTP: the OpenCTI API token would be sent in clear text`,
			);
			expect(refused.field).toBe('allowUnencryptedHttp');
			expect(refused.hint).toContain('https://');
			expect(refused.hint).toContain('"Allow Unencrypted HTTP"');
			expect(fake.requests).toEqual([]);
			expect(
				new OpenCtiClient({ url: 'HTTPS://opencti.example.com/graphql/', token: 't' }).endpoint,
			).toBe('HTTPS://opencti.example.com/graphql');
		});

		test('configuration mistakes are caught before any request', () => {
			expect(() => new OpenCtiClient({ url: 'opencti.local', token: 't' })).toThrow(
				'"opencti.local" is not an http(s) URL',
			);
			expect(() => new OpenCtiClient({ url: 'http://x', token: ' ' })).toThrow(
				'The OpenCTI API token is empty',
			);
		});
	});

	test.each([
		['6.9.7', 'reportAdd'],
		['6.5.10', 'importPush'],
	])(
		'on %s a non-ASCII file name arrives intact through busboy, as OpenCTI parses uploads (%s)',
		async (version) => {
			fake.setVersion(version);
			const { plan } = await planFor('text-only, subject, no attachment');
			const names = ['отчёт-2026.pdf', 'Übersicht Q3 (final).csv', '报告.txt'];
			const created = await client().createReport({
				...plan,
				files: names.map((name) => ({
					name,
					mimeType: 'application/pdf',
					data: Buffer.from(name),
					markings: [AMBER_STRICT],
				})),
			});
			const stored = fake.store.reports.get(created.standard_id)!;
			expect(stored.files.map((file) => file.name)).toEqual(names);
			expect(stored.files.map((file) => file.data.toString())).toEqual(names);
		},
	);

	test('uploadFile attaches a file to an existing entity by importPush', async () => {
		const { plan } = await planFor('text-only, subject, no attachment');
		const api = client();
		const report = await api.createReport(plan);
		const pushed = await api.uploadFile(report.id, {
			name: 'extra.txt',
			mimeType: 'text/plain',
			data: Buffer.from('more'),
			markings: [AMBER_STRICT],
		});
		expect(pushed.name).toBe('extra.txt');
		expect(
			fake.store.reports.get(report.standard_id)!.files.map((file) => [file.name, file.markings]),
		).toEqual([['extra.txt', [AMBER_STRICT]]]);
	});
});
