import { simpleParser } from 'mailparser';

import { parseLocator } from '../../../../lib/mail/locator';
import { bufferSink } from '../../../../lib/mail/parse';
import { DEFAULT_POLICY as ATTACHMENTS } from '../../../../lib/mail/policy';
import { GmailProvider } from '../../../../lib/providers/gmail';
import { GmailRemediator } from '../../../../lib/providers/gmail/remediate';
import {
	BANNER_HEADER,
	GMAIL_AUDITED_LABEL,
	REWRITE_OF_HEADER,
} from '../../../../lib/remediation/markers';
import { escapeHtml } from '../../../../lib/remediation/banner';
import { DEFAULT_POLICY, type RemediationPolicy } from '../../../../lib/remediation/policy';
import type { ScanReport } from '../../../../lib/scan/types';
import { file, html, message, multipart, text } from '../../../fixtures/mime-factory';
import { startFakeGmail, type FakeGmail, type FakeMessage } from '../../../fakes/gmail';
import { clientFor, tokenJsonConfig } from './poll';

/** Remediation on Gmail against the Gmail fake: the documented calls, and what the mailbox holds after. */
let fake: FakeGmail;
let provider: GmailProvider;
let remediator: GmailRemediator;
let counter = 0;
const DATE = 'Tue, 03 Nov 2026 10:20:30 +0000';

beforeAll(async () => {
	fake = await startFakeGmail();
});
afterAll(() => fake.close());
beforeEach(() => {
	fake.clearFaults();
	// A new remediator per test, as the node makes one per execution (its label list is fresh).
	provider = new GmailProvider({ client: clientFor(tokenJsonConfig(fake)), account: 'me' });
	remediator = new GmailRemediator(provider);
});

function seed(
	options: { subject?: string; exeName?: string; labels?: string[]; messageId?: boolean } = {},
): FakeMessage {
	counter++;
	return fake.addMessage({
		raw: message(
			{
				From: 'Billing <billing@example.net>',
				To: 'soc@example.com',
				Subject: options.subject ?? `Quarterly invoice ${counter}`,
				Date: DATE,
				'Message-ID':
					options.messageId === false ? undefined : `<remediate-${counter}@example.net>`,
			},
			multipart('mixed', `mixed${counter}`, [
				multipart('alternative', `alt${counter}`, [
					text('Please pay the attached invoice.'),
					html('<html><body><p>Please pay the attached invoice.</p></body></html>'),
				]),
				file({
					contentType: 'application/pdf',
					data: Buffer.from('%PDF-1.4 report'),
					disposition: 'attachment; filename="report.pdf"',
				}),
				file({
					contentType: 'application/octet-stream',
					data: Buffer.from('MZ malware'),
					disposition: `attachment; filename="${options.exeName ?? 'invoice.exe'}"`,
				}),
			]),
		),
		labelIds: options.labels ?? ['INBOX', 'UNREAD', 'Label_finance'],
		internalDate: Date.now(),
	});
}

/** The scan a scan node writes, with the attachment ids the trigger gives (parsed from the raw source). */
async function scanOf(stored: FakeMessage): Promise<ScanReport> {
	const parsed = await provider.fetch(
		{ provider: 'gmail', account: 'me', mailbox: 'INBOX', id: stored.id },
		ATTACHMENTS,
		bufferSink,
	);
	return {
		verdict: 'Malicious',
		engine: 'clamav',
		scannedAt: new Date().toISOString(),
		files: parsed.email.attachments.map((attachment) => ({
			attachment: { id: attachment.id, filename: attachment.filename, size: attachment.size },
			verdict: attachment.filename.endsWith('.exe') ? 'Malicious' : 'Benign',
			engine: 'clamav' as const,
			durationMs: 1,
			...(attachment.filename.endsWith('.exe') ? { threatType: 'Win.Test.EICAR_HDB-1' } : {}),
		})),
	};
}

const locatorOf = (id: string) => `gmail://me/messages/${id}`;
const target = (id: string, scan?: ScanReport) => ({
	ref: parseLocator(locatorOf(id)),
	locator: locatorOf(id),
	...(scan ? { scan } : {}),
});

function policy(overrides: Partial<RemediationPolicy> = {}): RemediationPolicy {
	return { ...DEFAULT_POLICY, auditFolder: 'Email Intel Audit', ...overrides };
}

/** The API calls one piece of work made, as `METHOD path?query-that-matters`. */
async function callsOf<T>(work: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
	const from = fake.requests.length;
	const result = await work();
	const calls = fake.requests.slice(from).map(({ method, path, query }) => {
		const params = new URLSearchParams(query);
		const shown = ['format', 'uploadType', 'internalDateSource', 'q']
			.filter((name) => params.has(name))
			.map((name) => `${name}=${params.get(name)}`);
		return `${method} ${path}${shown.length ? `?${shown.join('&')}` : ''}`;
	});
	return { result, calls };
}

const live = () => fake.allMessages().filter((stored) => !stored.labelIds.includes('TRASH'));
/** The messages inserted after `original` (ids grow), trashed ones left out. */
const newSince = (original: FakeMessage) => live().filter((stored) => stored.id > original.id);
const label = (name: string) => fake.labelByName(name)?.id as string;

test('default policy with tag, header and label: audit insert, rewrite insert with the same labels and thread, original trashed', async () => {
	const original = seed();
	const scan = await scanOf(original);
	const { result, calls } = await callsOf(() =>
		remediator.remediate(
			target(original.id, scan),
			policy({
				subjectTag: '[Suspicious]',
				headers: { 'X-Attachment-Scan': 'malicious' },
				categories: ['Phishing', 'Label_finance'],
			}),
		),
	);
	const rewriteId = result.after.id;
	const auditId = result.audit!.id;
	expect(calls).toEqual([
		`GET messages/${original.id}?format=raw`, // headers and attachments, parsed as they stream
		`GET messages?q=rfc822msgid:remediate-${counter}@example.net`, // a rewrite from an earlier run?
		'GET labels',
		`POST labels`, // Email Intel/Audited (hidden)
		`POST labels`, // the audit label
		`GET messages/${original.id}?format=raw`, // the untouched source ...
		`POST messages?uploadType=multipart&internalDateSource=dateHeader`, // ... inserted under the audit label
		`POST messages/${original.id}/modify`, // the original marked audited
		`GET messages/${original.id}?format=raw`, // the source again, rewritten as it streams
		`POST messages?uploadType=multipart&internalDateSource=dateHeader`,
		`POST messages/${original.id}/trash`,
		`GET messages/${rewriteId}?format=metadata`, // its labels
		'POST labels', // Phishing created; Label_finance exists
		`POST messages/${rewriteId}/modify`,
	]);

	const rewrite = fake.message(rewriteId)!;
	expect(fake.message(original.id)!.labelIds).toContain('TRASH');
	expect(newSince(original).map((stored) => stored.id)).toEqual([auditId, rewriteId]);
	// the same labels (the audited marker stays on the original), the Phishing label merged in
	expect(rewrite.labelIds).toEqual(['INBOX', 'UNREAD', 'Label_finance', label('Phishing')]);
	expect(rewrite.threadId).toBe(original.threadId);
	expect(rewrite.internalDate).toBe(Date.parse(DATE));

	const parsed = await simpleParser(rewrite.raw);
	expect(parsed.subject).toBe(`[Suspicious] Quarterly invoice ${counter}`);
	expect(parsed.messageId).toBe(`<remediate-${counter}@example.net>`);
	expect(parsed.headers.get('x-attachment-scan')).toBe('malicious');
	expect(parsed.headers.get(BANNER_HEADER.toLowerCase())).toBe('added');
	expect(parsed.headers.get(REWRITE_OF_HEADER.toLowerCase())).toMatch(/^sha256-[0-9a-f]{40}$/);
	expect(parsed.attachments.map((attachment) => attachment.filename)).toEqual(['report.pdf']);
	expect(rewrite.raw.toString('latin1')).not.toContain('MZ malware');
	expect(parsed.html).toMatch(/<body><div data-email-intel-banner="1">/);
	expect(parsed.html).toContain('<code>invoice.exe</code>');
	expect(parsed.text).toMatch(/^\[Security Notice\] An attachment was removed/);
	expect(parsed.text).toContain('Please pay the attached invoice.');

	// the audit copy: byte for byte the original, under the audit label only
	const audit = fake.message(auditId)!;
	expect(audit.raw.equals(original.raw)).toBe(true);
	expect(audit.labelIds).toEqual([label('Email Intel Audit')]);
	expect(fake.message(original.id)!.labelIds).toContain(label(GMAIL_AUDITED_LABEL));
	expect(fake.labelByName(GMAIL_AUDITED_LABEL)).toMatchObject({
		labelListVisibility: 'labelHide',
		messageListVisibility: 'hide',
	});

	expect(result).toMatchObject({
		provider: 'gmail',
		operation: 'remediate',
		before: {
			id: original.id,
			locator: locatorOf(original.id),
			mailbox: 'INBOX,UNREAD,Label_finance',
		},
		after: { id: rewriteId, locator: locatorOf(rewriteId) },
		audit: { id: auditId, locator: locatorOf(auditId), mailbox: label('Email Intel Audit') },
		changed: true,
		refused: [],
	});
	expect(result.done).toEqual([
		'auditCopy',
		'banner',
		'textBanner',
		'deleteAttachment',
		'subjectTag',
		'headers',
		'categories',
	]);
	expect(result.removedAttachments).toEqual([
		{
			id: scan.files[1].attachment.id,
			filename: 'invoice.exe',
			contentType: 'application/octet-stream',
			reason: 'malicious',
			threatType: 'Win.Test.EICAR_HDB-1',
		},
	]);
});

test('the same policy applied twice changes nothing the second time: only reads', async () => {
	const original = seed();
	const scan = await scanOf(original);
	const chosen = policy({
		subjectTag: '[Suspicious]',
		headers: { 'X-Attachment-Scan': 'malicious' },
		categories: ['Phishing'],
		quarantineFolder: 'Quarantine',
	});
	const first = await remediator.remediate(target(original.id, scan), chosen);
	const before = structuredClone(fake.allMessages());
	remediator = new GmailRemediator(provider);
	const { result, calls } = await callsOf(() =>
		remediator.remediate(target(first.after.id, scan), chosen),
	);
	expect(calls.every((call) => call.startsWith('GET '))).toBe(true);
	expect(fake.allMessages()).toEqual(before);
	expect(result.changed).toBe(false);
	expect(result.done).toEqual([]);
	expect(result.alreadyDone).toEqual([
		'deleteAttachment',
		'banner',
		'subjectTag',
		'headers',
		'categories',
		'quarantine',
	]);
	expect(result.after.id).toBe(first.after.id);
	const parsed = await simpleParser(fake.message(first.after.id)!.raw);
	expect((parsed.html as string).match(/data-email-intel-banner/g)).toHaveLength(1);
	expect(parsed.subject).toBe(`[Suspicious] Quarterly invoice ${counter}`);
});

test('quarantine adds the label and takes INBOX away; Release puts back exactly the labels it took', async () => {
	const original = seed({ labels: ['INBOX', 'UNREAD', 'Label_finance', 'IMPORTANT'] });
	const labelsBefore = [...original.labelIds];
	const name = `Quarantine ${counter}`; // a label no earlier test created
	const { result, calls } = await callsOf(() =>
		remediator.remediate(
			target(original.id),
			policy({ deleteAttachments: false, banner: false, quarantineFolder: name }),
		),
	);
	expect(calls).toEqual([
		`GET messages/${original.id}?format=raw`,
		'GET labels',
		'POST labels', // Quarantine
		'POST labels', // the hidden marker recording what was taken away
		`POST messages/${original.id}/modify`,
	]);
	const quarantine = label(name);
	const marker = fake.labels().find((one) => one.name.includes(`in ${quarantine} from`))!;
	expect(marker).toMatchObject({
		name: `Email Intel/Quarantined in ${quarantine} from INBOX`,
		labelListVisibility: 'labelHide',
	});
	expect(fake.message(original.id)!.labelIds).toEqual([
		'UNREAD',
		'Label_finance',
		'IMPORTANT',
		quarantine,
		marker.id,
	]);
	expect(result.done).toEqual(['quarantine']);
	expect(result.after).toEqual({
		id: original.id,
		locator: locatorOf(original.id),
		mailbox: `UNREAD,Label_finance,IMPORTANT,${quarantine},${marker.id}`,
	});

	const released = await callsOf(() =>
		new GmailRemediator(provider).release(target(original.id), { subjectTag: '' }),
	);
	expect(released.calls).toEqual([
		`GET messages/${original.id}?format=metadata`,
		'GET labels',
		`POST messages/${original.id}/modify`,
	]);
	expect([...fake.message(original.id)!.labelIds].sort()).toEqual([...labelsBefore].sort());
	expect(released.result.done).toEqual(['release']);

	// released: not quarantined any more, so a second Release is refused and changes nothing
	await expect(
		new GmailRemediator(provider).release(target(original.id), { subjectTag: '' }),
	).rejects.toMatchObject({ code: 'NOT_QUARANTINED' });
});

test('a message quarantined from a label only (archived, not in INBOX) is released without INBOX', async () => {
	const original = seed({ labels: ['Label_finance'] });
	await remediator.remediate(
		target(original.id),
		policy({ deleteAttachments: false, banner: false, quarantineFolder: 'Quarantine' }),
	);
	expect(fake.message(original.id)!.labelIds).toContain(label('Quarantine'));
	await remediator.release(target(original.id), { subjectTag: '' });
	expect(fake.message(original.id)!.labelIds).toEqual(['Label_finance']);
});

test('a rewritten and quarantined message is released from its rewrite back to INBOX', async () => {
	const original = seed();
	const scan = await scanOf(original);
	const result = await remediator.remediate(
		target(original.id, scan),
		policy({ quarantineFolder: 'Quarantine' }),
	);
	const rewrite = fake.message(result.after.id)!;
	expect(rewrite.labelIds).not.toContain('INBOX');
	expect(rewrite.labelIds).toContain(label('Quarantine'));
	await new GmailRemediator(provider).release(target(rewrite.id), { subjectTag: '[Suspicious]' });
	expect(fake.message(rewrite.id)!.labelIds).toEqual(['UNREAD', 'Label_finance', 'INBOX']);
});

test('HTML in the subject and the file name stays text inside the banner', async () => {
	const original = seed({
		subject: 'Invoice </div><script>alert(1)</script>',
		exeName: '</code></div><img src=x onerror=alert(2)>.exe',
	});
	const scan = await scanOf(original);
	const result = await remediator.remediate(
		target(original.id, scan),
		policy({ bannerHtml: '<div class="notice">{{subject}}: {{removedFiles}}</div>' }),
	);
	const parsed = await simpleParser(fake.message(result.after.id)!.raw);
	const banner = /<div data-email-intel-banner="1">([\s\S]*?)<p>/.exec(parsed.html as string)![1];
	expect(banner).toBe(
		`<div class="notice">Invoice &lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt;: <br>Removed: ` +
			`<code>${escapeHtml(scan.files[1].attachment.filename)}</code></div></div>`,
	);
	expect(scan.files[1].attachment.filename).toContain('<img');
	expect(parsed.html).not.toMatch(/<script|<img/);
});

test('a text-only message gets the text banner and stays text/plain', async () => {
	const original = fake.addMessage({
		raw: message(
			{
				From: 'a@example.net',
				To: 'soc@example.com',
				Subject: 'Plain </div> note',
				Date: DATE,
				'Message-ID': `<plain-${++counter}@example.net>`,
			},
			text('Just text.'),
		),
		labelIds: ['INBOX'],
	});
	const result = await remediator.remediate(target(original.id), policy({ auditFolder: '' }));
	expect(result.done).toEqual(['textBanner']);
	const rewrite = fake.message(result.after.id)!;
	const parsed = await simpleParser(rewrite.raw);
	expect(parsed.headers.get('content-type')).toMatchObject({ value: 'text/plain' });
	expect(parsed.html).toBe(false);
	expect(parsed.text).toMatch(
		/^\[Security Notice\] An attachment was removed[\s\S]*Just text\.\s*$/,
	);
});

test('a failure between insert and trash leaves both copies; the retry trashes the original and leaves exactly one', async () => {
	const original = seed({ messageId: false });
	const scan = await scanOf(original);
	const chosen = policy({ subjectTag: '[Suspicious]' });
	fake.fault({ method: 'POST', path: /\/trash$/, status: 500, times: 1 });
	await expect(remediator.remediate(target(original.id, scan), chosen)).rejects.toMatchObject({
		source: 'gmail',
		status: 500,
	});
	// original, its audit copy and the rewrite: nothing lost
	const inserted = newSince(original);
	expect(inserted).toHaveLength(2);
	expect(fake.message(original.id)!.labelIds).not.toContain('TRASH');

	const { result, calls } = await callsOf(() =>
		new GmailRemediator(provider).remediate(target(original.id, scan), chosen),
	);
	expect(calls.filter((call) => call.startsWith('POST messages?'))).toEqual([]); // nothing inserted again
	const rewrite = inserted.find((stored) => !stored.labelIds.includes(label('Email Intel Audit')))!;
	expect(result.after.id).toBe(rewrite.id);
	expect(result.notes.join(' ')).toMatch(/rewrite from an interrupted earlier run was found/);
	expect(fake.message(original.id)!.labelIds).toContain('TRASH');
	const inInbox = live().filter(
		(stored) => stored.id >= original.id && stored.labelIds.includes('INBOX'),
	);
	expect(inInbox.map((stored) => stored.id)).toEqual([rewrite.id]);
	// without a Message-ID of its own the rewrite got one, by which the retry found it
	const parsed = await simpleParser(rewrite.raw);
	expect(parsed.messageId).toMatch(/^<sha256-[0-9a-f]{40}@email-intel\.invalid>$/);
	expect(parsed.subject).toBe(`[Suspicious] Quarterly invoice ${counter}`);

	// and a third run, from the original's locator again, changes nothing
	const third = await new GmailRemediator(provider).remediate(target(original.id, scan), chosen);
	expect(third.changed).toBe(false);
	expect(third.after.id).toBe(rewrite.id);
	expect(fake.allMessages().filter((stored) => stored.id > original.id)).toHaveLength(2);
});

test('a locator of another mailbox is refused before anything is read', async () => {
	const original = seed();
	const locator = `gmail://other%40example.com/messages/${original.id}`;
	const from = fake.requests.length;
	await expect(
		remediator.remediate({ ref: parseLocator(locator), locator }, policy()),
	).rejects.toMatchObject({ code: 'WRONG_ACCOUNT', field: 'locator' });
	expect(fake.requests.length).toBe(from);
});
