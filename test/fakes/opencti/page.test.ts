// The OpenCTI fake's read-only page (GET /), which the demo points newcomers at: it lists each
// report with its markings and files, and shows hostile values (a subject or file name written
// to break out of the HTML) as text.
import { start, type FakeOpenCti } from './server';
import { SEEDED_MARKINGS } from './store';

const HOSTILE = `</h2><script>alert("x")</script><img src=x onerror='y'>`;

describe('OpenCTI fake: the reports page', () => {
	let fake: FakeOpenCti;

	beforeAll(async () => {
		fake = await start();
	});
	afterAll(() => fake.stop());

	const page = async () => {
		const response = await fetch(`${fake.url}/`);
		return { response, html: await response.text() };
	};

	it('says there is no report yet', async () => {
		const { response, html } = await page();
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
		expect(html).toContain('0 report(s)');
		expect(html).toContain('No report yet');
	});

	it('lists reports, their files and markings, every value escaped, scripts forbidden', async () => {
		const amber = fake.store.resolve(SEEDED_MARKINGS['TLP:AMBER+STRICT']).id;
		fake.store.reportAdd(
			{
				name: `Phish ${HOSTILE}`,
				published: '2026-11-20T07:30:00.000Z',
				report_types: ['threat-report'],
				description: '**Email Subject**: <b>bold</b>',
				content: '<p onclick="z">body</p>',
				objectMarking: [amber],
				filesMarkings: [[amber]],
			},
			[{ filename: `iocs${HOSTILE}.csv`, mimetype: 'text/csv', data: Buffer.from('a,b\n') }],
		);
		const { response, html } = await page();
		expect(response.headers.get('content-security-policy')).toBe(
			"default-src 'none'; style-src 'unsafe-inline'",
		);
		expect(html).toContain('1 report(s)');
		expect(html).not.toContain('<script>');
		expect(html).not.toContain('<img');
		expect(html).not.toContain('onclick="z"');
		expect(html).toContain(
			'Phish &lt;/h2&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt;',
		);
		expect(html).toContain('iocs&lt;/h2&gt;&lt;script&gt;');
		expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
		// The report's marking and the file's marking, by their TLP names.
		expect(html.match(/TLP:AMBER\+STRICT/g)).toHaveLength(2);
		expect(html).toContain('text/csv');
	});

	it('GraphQL still answers beside the page', async () => {
		const response = await fetch(`${fake.url}/graphql`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${fake.token}` },
			body: JSON.stringify({ query: '{ about { version } }' }),
		});
		expect(await response.json()).toEqual({ data: { about: { version: fake.version } } });
	});
});
