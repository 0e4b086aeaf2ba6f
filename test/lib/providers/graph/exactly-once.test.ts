import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import type { BufferedAttachment } from '../../../../lib/mail/parse';
import { GraphMailSession, type GraphTriggerState } from '../../../../lib/providers/graph';
import { fakeGraphConfig, startFakeGraph, type FakeGraph } from '../../../fakes/graph';

/**
 * The Microsoft 365 triggers' delta passes through the ingest core, against the https Graph
 * fake, on the failure paths that used to lose or block mail: attachment downloads that fail
 * for a while, for good, or forever-transiently. Short retries keep the tests quick; what is
 * asserted is what a user sees (which messages came out, with what), never how long it took.
 */
describe('Graph delta passes: failures never lose or block mail', () => {
	let fake: FakeGraph;
	beforeAll(async () => {
		fake = await startFakeGraph({ defaultPageSize: 10 });
	});
	afterAll(async () => fake.close());
	afterEach(() => fake.clearFaults());

	const PDF = Buffer.from('%PDF-1.4\n%%EOF\n');

	function session(upn: string, retryBudget = 5) {
		return new GraphMailSession<BufferedAttachment>({
			config: fakeGraphConfig(fake),
			scopes: [{ upn, folder: 'Inbox' }],
			policy: DEFAULT_POLICY,
			since: new Date(Date.now() - 3_600_000),
			maxItemsPerPass: 1000,
			lockPrefix: `once-${upn}`,
			retryBudget,
			retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 },
		});
	}

	function seed(upn: string) {
		return fake.addMessages(upn, 'Inbox', [
			{
				subject: 'with pdf',
				attachments: [{ name: 'report.pdf', contentType: 'application/pdf', content: PDF }],
			},
			{ subject: 'plain' },
		]);
	}

	const attachmentValue = /\/attachments\/[^/]+\/\$value$/;

	it('attachment downloads answering 503 until retries run out: nothing emitted past it; all of it once the fake recovers', async () => {
		const upn = 'flaky@contoso.com';
		const [withPdf, plain] = seed(upn);
		const graph = session(upn);
		const state = {} as Partial<GraphTriggerState>;
		fake.fault({ method: 'GET', path: attachmentValue, status: 503, times: Infinity });
		const scope = { upn, folder: 'Inbox' };
		const first = await graph.pass(scope, graph.prepareState(state));
		expect(first?.items ?? []).toEqual([]);
		expect(first?.failures.map((f) => f.error.retryable)).toEqual([true]);

		fake.clearFaults();
		const second = await graph.pass(scope, graph.prepareState(state));
		expect(second?.failures).toEqual([]);
		expect(second?.items.map((p) => p.email.id)).toEqual([withPdf.id, plain.id]);
		const pdf = second!.items[0];
		expect(pdf.email.attachments[0]).toMatchObject({
			filename: 'report.pdf',
			binaryProperty: 'attachment_0',
		});
		expect(pdf.attachments[0].stored.data.equals(PDF)).toBe(true);
		expect((await graph.pass(scope, graph.prepareState(state)))?.items).toEqual([]);
		graph.close();
	});

	it('a permanently failing attachment (403): the message is emitted with the failure recorded, the folder flows on', async () => {
		const upn = 'forbidden@contoso.com';
		const [withPdf, plain] = seed(upn);
		const graph = session(upn);
		const state = {} as Partial<GraphTriggerState>;
		fake.fault({ method: 'GET', path: attachmentValue, status: 403, times: Infinity });
		const result = await graph.pass({ upn, folder: 'Inbox' }, graph.prepareState(state));
		expect(result?.failures).toEqual([]);
		expect(result?.items.map((p) => p.email.id)).toEqual([withPdf.id, plain.id]);
		expect(result!.items[0].email.attachments[0]).toMatchObject({
			filename: 'report.pdf',
			skipped: 'error',
			error: { code: 'FORBIDDEN' },
		});
		expect(result!.items[0].attachments).toEqual([]);
		graph.close();
	});

	it('an attachment failing transiently on every pass: after the retry budget the message leaves with the failure recorded', async () => {
		const upn = 'poison@contoso.com';
		const [withPdf, plain] = seed(upn);
		const graph = session(upn, 3);
		const state = {} as Partial<GraphTriggerState>;
		fake.fault({ method: 'GET', path: attachmentValue, status: 503, times: Infinity });
		const scope = { upn, folder: 'Inbox' };
		const emitted: string[] = [];
		for (let pass = 1; pass <= 3; pass++) {
			const result = await graph.pass(scope, graph.prepareState(state));
			emitted.push(...(result?.items ?? []).map((p) => p.email.id));
			if (pass < 3) expect(result?.items).toEqual([]);
			else {
				expect(result?.failures).toEqual([]);
				expect(result!.items[0].email.attachments[0]).toMatchObject({
					skipped: 'error',
					error: { code: 'RETRIES_EXHAUSTED' },
				});
			}
		}
		expect(emitted).toEqual([withPdf.id, plain.id]);
		graph.close();
	});
});
