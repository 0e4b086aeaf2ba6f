import type { NormalizedEmail } from '../../../lib/mail/types';
import {
	mapEmailToReport,
	reportDescription,
	reportName,
	selectReportAttachments,
	TLP_MARKING_IDS,
	tlpMarkingId,
} from '../../../lib/opencti';
import { EMAILS, normalizedFixture } from '../../fixtures/opencti/emails';

const AMBER_STRICT = 'marking-definition--826578e1-40ad-459f-bc73-ede076f81f37';

async function mapped(key: string, options = {}) {
	const spec = EMAILS.find((email) => email.key === key)!;
	const { email, binaries } = await normalizedFixture(spec);
	const chosen = selectReportAttachments(email);
	return {
		email,
		plan: mapEmailToReport(
			email,
			chosen.map((info) => ({ info, data: binaries[info.binaryProperty!].data })),
			options,
		),
	};
}

describe('the connector mapping (email -> ReportAddInput)', () => {
	test('text-only email with a subject: name, published UTC, content = the escaped text, connector defaults', async () => {
		const { plan } = await mapped('text-only, subject, no attachment');
		expect(plan.input).toEqual({
			name: 'APT29 phishing wave',
			description:
				'**Email Received From**: alice@partner.example  \n' +
				'**Email Received At**: 2025-06-03 10:00:00+02:00  \n' +
				'**Email Subject**: APT29 phishing wave  \n' +
				'**Email Attachment Count**: 0  \n' +
				'  \n' +
				'Please consult the content section to view the email content.',
			content: 'IOC list:<br>\n1.2.3.4<br>\nevil.example<br>\n',
			published: '2025-06-03T08:00:00Z',
			report_types: ['threat-report'],
			objectMarking: [AMBER_STRICT],
		});
		expect(plan.author).toEqual({
			name: 'Email Intel IMAP',
			description: 'Email Intel IMAP Connector',
		});
		expect(plan.files).toEqual([]);
		expect(plan.labels).toEqual([]);
	});

	test('no subject: "<no subject> from {address}", html content, the PDF becomes a marked file', async () => {
		const { plan } = await mapped('html-only, no subject, 1 attachment');
		expect(plan.input.name).toBe('<no subject> from bob@cert.example');
		expect(plan.input.published).toBe('2025-06-05T04:30:00Z');
		expect(plan.input.content).toBe('<p>See the <b>attached</b> report.</p>');
		expect(plan.input.description).toBe(
			'**Email Received From**: bob@cert.example  \n**Email Received At**: 2025-06-04 23:30:00-05:00  \n' +
				'**Email Subject**: <no subject> from bob@cert.example  \n**Email Attachment Count**: 1  \n  \n' +
				'Please consult the content section to view the email content.',
		);
		expect(
			plan.files.map(({ name, mimeType, markings, data }) => ({
				name,
				mimeType,
				markings,
				data: data.toString(),
			})),
		).toEqual([
			{
				name: 'report.pdf',
				mimeType: 'application/pdf',
				markings: [AMBER_STRICT],
				data: '%PDF-1.4 fake report',
			},
		]);
	});

	test('html wins over text; three allowed attachments in message order', async () => {
		const { plan } = await mapped('text+html, 3 attachments');
		expect(plan.input.content).toBe('<html><body><h1>Digest</h1><p>in html</p></body></html>');
		expect(plan.files.map((file) => [file.name, file.mimeType])).toEqual([
			['digest.pdf', 'application/pdf'],
			['iocs.csv', 'text/csv'],
			['notes.txt', 'text/plain'],
		]);
		expect(plan.input.description).toContain('**Email Attachment Count**: 3  \n');
	});

	test('disallowed MIME types and inline parts are not uploaded', async () => {
		const { email, plan } = await mapped('disallowed MIME types and an inline part');
		expect(email.attachments.map((attachment) => attachment.filename)).toEqual([
			'screenshot.png',
			'sample.zip',
			'inline.pdf',
			'brief.pdf',
		]);
		expect(plan.files.map((file) => file.name)).toEqual(['brief.pdf']);
		expect(plan.input.description).toContain('**Email Attachment Count**: 1  \n');
	});

	test('a name shorter than 2 characters is padded so OpenCTI accepts it', async () => {
		const { plan } = await mapped('one-letter subject');
		expect(plan.input.name).toBe('X_');
		expect(reportName({ subject: '   ', from: { name: '', address: 'a@b.c' } })).toBe(
			'<no subject> from a@b.c',
		);
	});

	test('options: TLP, author, report types, labels, confidence, external reference, MIME list', async () => {
		const { plan } = await mapped('disallowed MIME types and an inline part', {
			tlp: 'green',
			authorName: 'SOC mailbox',
			reportTypes: ['malware'],
			labels: ['phishing'],
			confidence: 75,
			externalReference: { source_name: 'email', external_id: 'mid:<m4@vendor.example>' },
			mimeTypes: ['image/*', 'application/pdf'],
		});
		expect(plan.input.objectMarking).toEqual([TLP_MARKING_IDS.green]);
		expect(plan.input.report_types).toEqual(['malware']);
		expect(plan.input.confidence).toBe(75);
		expect(plan.author?.name).toBe('SOC mailbox');
		expect(plan.labels).toEqual(['phishing']);
		expect(plan.externalReference).toEqual({
			source_name: 'email',
			external_id: 'mid:<m4@vendor.example>',
		});
		// selectReportAttachments ran with the default list in `mapped`; the option narrows further.
		expect(plan.files.map((file) => [file.name, file.markings])).toEqual([
			['brief.pdf', [TLP_MARKING_IDS.green]],
		]);
	});

	test('TLP names: the connector spellings and a clear error for anything else', () => {
		expect(tlpMarkingId('white')).toBe(TLP_MARKING_IDS.clear);
		expect(tlpMarkingId('TLP:AMBER+STRICT')).toBe(AMBER_STRICT);
		expect(() => tlpMarkingId('purple')).toThrow(
			'unknown TLP level "purple": use one of clear, green, amber, amber+strict, red',
		);
	});

	test('description format is exactly the connector block', () => {
		expect(reportDescription('a@b.c', '2025-01-01T00:00:00Z', 'n', 2)).toBe(
			'**Email Received From**: a@b.c  \n**Email Received At**: 2025-01-01T00:00:00Z  \n**Email Subject**: n  \n' +
				'**Email Attachment Count**: 2  \n  \nPlease consult the content section to view the email content.',
		);
	});

	test('an email without any sender still maps (parse errors reach the node too)', () => {
		const email = {
			subject: '',
			attachments: [],
			html: '',
			text: '',
			date: '2025-01-01T00:00:00Z',
		} as unknown as NormalizedEmail;
		expect(mapEmailToReport(email, []).input.name).toBe('<no subject> from ');
	});
});
