import { parseLocator } from '../../../../lib/mail/locator';
import {
	createHttpsTransport,
	createMsalTokenSource,
	GraphClient,
	validateGraphConfig,
} from '../../../../lib/providers/graph';
import { FolderResolver } from '../../../../lib/providers/graph/folders';
import { GraphRemediator } from '../../../../lib/providers/graph/remediate';
import {
	FALLBACK_CATEGORY,
	GRAPH_ORIGIN_PROPERTY,
	QUARANTINE_CATEGORY,
} from '../../../../lib/remediation/markers';
import { DEFAULT_POLICY, type RemediationPolicy } from '../../../../lib/remediation/policy';
import type { ScanReport } from '../../../../lib/scan/types';
import { startFakeGraph, type FakeGraph, type FakeMessage } from '../../../fakes/graph';

/** Remediation through Graph against the https fake: the documented calls, and what the mailbox looks like after. */
const UPN = 'soc@contoso.com';
let fake: FakeGraph;
let remediator: GraphRemediator;
let run = 0;

beforeAll(async () => {
	fake = await startFakeGraph();
	const config = validateGraphConfig({
		tenantId: fake.tenantId,
		clientId: fake.clientId,
		clientSecret: fake.clientSecret,
		authorityHost: fake.authorityHost,
		graphBaseUrl: fake.url,
		ca: fake.caPem,
	});
	const transport = createHttpsTransport({ ca: config.ca });
	const client = new GraphClient({
		graphBaseUrl: config.graphBaseUrl,
		transport,
		tokens: createMsalTokenSource(config, transport),
	});
	remediator = new GraphRemediator(client, new FolderResolver(client, 'test:remediation'));
});
afterAll(async () => fake.close());
beforeEach(() => {
	fake.refuseContentUpdate = false;
	fake.clearFaults();
});

function seed(
	subject = 'Quarterly invoice',
	body = '<html><body><p>Please pay.</p></body></html>',
): FakeMessage {
	const [message] = fake.addMessages(UPN, 'Inbox', [
		{
			subject,
			body,
			bodyType: body.startsWith('<') ? 'html' : 'text',
			attachments: [
				{ name: 'report.pdf', contentType: 'application/pdf', content: '%PDF-1.4' },
				{ name: 'invoice.exe', contentType: 'application/octet-stream', content: 'MZ malware' },
			],
		},
	]);
	message.categories = ['Finance'];
	return message;
}

function scanFor(message: FakeMessage): ScanReport {
	return {
		verdict: 'Malicious',
		engine: 'dsxa',
		scannedAt: new Date().toISOString(),
		files: message.attachments.map((attachment) => ({
			attachment: { id: attachment.id, filename: attachment.name, size: attachment.content.length },
			verdict: attachment.name.endsWith('.exe') ? 'Malicious' : 'Benign',
			engine: 'dsxa' as const,
			durationMs: 1,
		})),
	};
}

function target(locator: string, scan?: ScanReport) {
	return { ref: parseLocator(locator), locator, ...(scan ? { scan } : {}) };
}

const locatorOf = (id: string) =>
	`graph://${encodeURIComponent(UPN)}/messages/${encodeURIComponent(id)}`;

/** The requests one remediation made, as `METHOD path` without the /v1.0/users/{upn} prefix and query. */
async function callsOf<T>(work: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
	const from = fake.requests.length;
	const result = await work();
	const calls = fake.requests
		.slice(from)
		.filter((request) => request.path.startsWith('/v1.0/'))
		.map(
			(request) =>
				`${request.method} ${decodeURIComponent(request.path.replace(/^\/v1\.0\/users\/[^/]+/, '').replace(/\?.*$/, ''))}`,
		);
	return { result, calls };
}

function policy(overrides: Partial<RemediationPolicy> = {}): RemediationPolicy {
	return { ...DEFAULT_POLICY, auditFolder: `Audit ${++run}`, ...overrides };
}

const current = (id: string) => fake.messages(UPN, 'Inbox').find((m) => m.id === id);

test('default policy: audit copy, DELETE of the malicious attachment, PATCH of the body with the banner, categories merged', async () => {
	const message = seed();
	const exe = message.attachments[1].id;
	const chosen = policy({
		headers: { 'X-Attachment-Scan': 'malicious' },
		categories: ['Phishing'],
	});
	const { result, calls } = await callsOf(() =>
		remediator.remediate(target(locatorOf(message.id), scanFor(message)), chosen),
	);
	const msg = `/messages/${message.id}`;
	expect(calls).toEqual([
		`GET ${msg}`,
		`GET ${msg}/attachments`,
		'GET /mailFolders', // the audit folder looked up ...
		'POST /mailFolders', // ... and created
		`POST ${msg}/copy`,
		`PATCH ${msg}`, // the copy's id recorded on the original (extended property)
		`DELETE ${msg}/attachments/${exe}`,
		`PATCH ${msg}`, // body with the banner
		`PATCH ${msg}`, // categories
	]);
	const after = current(message.id)!;
	expect(after.attachments.map((a) => a.name)).toEqual(['report.pdf']);
	expect(after.body).toMatch(
		/^<html><body><div data-email-intel-banner="1"><div style="border:1px solid #f00/,
	);
	expect(after.body).toContain('<code>invoice.exe</code>');
	expect(after.body).toContain('<p>Please pay.</p>');
	expect(after.categories).toEqual(['Finance', 'X-Attachment-Scan: malicious', 'Phishing']);
	expect(result.notes.join(' ')).toMatch(/cannot set headers on received mail.*categories instead/);
	expect(result.done).toEqual(['auditCopy', 'deleteAttachment', 'banner', 'headers', 'categories']);
	expect(result.refused).toEqual([]);
	expect(result.removedAttachments).toMatchObject([
		{ id: exe, filename: 'invoice.exe', reason: 'malicious' },
	]);
	// the audit copy is the untouched original
	const audit = fake.messages(UPN, result.audit!.mailbox);
	expect(audit).toHaveLength(1);
	expect(audit[0].attachments.map((a) => a.name)).toEqual(['report.pdf', 'invoice.exe']);
	expect(audit[0].body).toBe('<html><body><p>Please pay.</p></body></html>');
	expect(result.audit!.locator).toBe(locatorOf(audit[0].id));
	expect(result.before.locator).toBe(locatorOf(message.id));
	expect(fake.missingImmutableId).toBe(0);
});

test('when Graph refuses to change body and subject of received mail, categories stand in and the result says so', async () => {
	const message = seed();
	fake.refuseContentUpdate = true;
	const result = await remediator.remediate(
		target(locatorOf(message.id), scanFor(message)),
		policy({ subjectTag: '[Suspicious]' }),
	);
	const after = current(message.id)!;
	expect(after.attachments.map((a) => a.name)).toEqual(['report.pdf']);
	expect(after.subject).toBe('Quarterly invoice');
	expect(after.body).not.toContain('data-email-intel-banner');
	expect(after.categories).toEqual(['Finance', FALLBACK_CATEGORY]);
	expect(result.refused).toEqual([
		expect.objectContaining({
			action: 'banner',
			fallback: `category "${FALLBACK_CATEGORY}"`,
			reason: expect.stringMatching(/400 ErrorInvalidPropertyUpdateSentMessage/),
		}),
		expect.objectContaining({ action: 'subjectTag', fallback: `category "${FALLBACK_CATEGORY}"` }),
	]);
	expect(result.done).toEqual(['auditCopy', 'deleteAttachment']);
});

test('the same policy applied twice changes nothing the second time: only reads', async () => {
	const message = seed();
	const chosen = policy({
		subjectTag: '[Suspicious]',
		headers: { 'X-Attachment-Scan': 'malicious' },
		categories: ['Phishing'],
	});
	const scan = scanFor(message);
	const first = await remediator.remediate(target(locatorOf(message.id), scan), chosen);
	const once = structuredClone({ ...current(message.id)!, extendedProperties: undefined });
	const { result, calls } = await callsOf(() =>
		remediator.remediate(target(locatorOf(message.id), scan), chosen),
	);
	expect(calls.every((call) => call.startsWith('GET '))).toBe(true);
	expect({ ...current(message.id)!, extendedProperties: undefined }).toEqual(once);
	expect(once.subject).toBe('[Suspicious] Quarterly invoice');
	expect(once.body.match(/data-email-intel-banner/g)).toHaveLength(1);
	expect(result.changed).toBe(false);
	expect(result.done).toEqual([]);
	expect(result.alreadyDone).toEqual([
		'deleteAttachment',
		'banner',
		'subjectTag',
		'headers',
		'categories',
	]);
	expect(fake.messages(UPN, first.audit!.mailbox)).toHaveLength(1);
});

test('a text-only message gets the text banner and stays text; HTML in the subject and file name stays text in an HTML banner', async () => {
	const plain = seed('plain', 'Hello, pay now.');
	await remediator.remediate(target(locatorOf(plain.id), scanFor(plain)), policy());
	const text = current(plain.id)!;
	expect(text.bodyType).toBe('text');
	expect(text.body).toMatch(
		/^\[Security Notice\] An attachment was removed[^]*Removed: invoice\.exe[^]*Hello, pay now\.$/,
	);

	const evil = seed('</div><script>alert(1)</script>');
	evil.attachments[1].name = '"><img src=x onerror=alert(2)>.exe';
	await remediator.remediate(
		target(locatorOf(evil.id), scanFor(evil)),
		policy({ bannerHtml: '<div class="n">{{subject}} {{removedFiles}}</div>' }),
	);
	const body = current(evil.id)!.body;
	expect(body).not.toContain('<script>');
	expect(body).not.toContain('<img');
	expect(body).toContain(
		'<div data-email-intel-banner="1"><div class="n">&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt; <br>Removed: <code>&quot;&gt;&lt;img src=x onerror=alert(2)&gt;.exe</code></div></div>',
	);
});

test('quarantine moves to a folder created on demand, recording where from; release moves it back and takes the tag off', async () => {
	const message = seed();
	const chosen = policy({
		quarantineFolder: 'Quarantine/Held',
		subjectTag: '[Suspicious]',
		auditFolder: '',
	});
	const { result, calls } = await callsOf(() =>
		remediator.remediate(target(locatorOf(message.id), scanFor(message)), chosen),
	);
	expect(calls.filter((call) => call.startsWith('POST'))).toEqual([
		'POST /mailFolders',
		expect.stringMatching(/^POST \/mailFolders\/[^/]+\/childFolders$/),
		`POST /messages/${message.id}/move`,
	]);
	const held = fake.requests.filter((r) => r.path.includes('/move'));
	expect(held.at(-1)!.prefer).toMatch(/IdType="ImmutableId"/);
	expect(current(message.id)).toBeUndefined();
	const quarantineId = result.after.mailbox;
	const [moved] = fake.messages(UPN, quarantineId);
	expect(moved.id).toBe(message.id); // ImmutableId: the id survives the move
	expect(moved.extendedProperties.get(GRAPH_ORIGIN_PROPERTY)).toBe('Inbox');
	expect(moved.categories).toContain(QUARANTINE_CATEGORY);
	expect(result.done).toContain('quarantine');
	expect(result.after.locator).toBe(locatorOf(message.id));

	const again = await remediator.remediate(target(result.after.locator, scanFor(message)), chosen);
	expect(again.changed).toBe(false);
	expect(again.alreadyDone).toContain('quarantine');

	const released = await remediator.release(target(result.after.locator), {
		subjectTag: '[Suspicious]',
	});
	expect(fake.messages(UPN, quarantineId)).toHaveLength(0);
	const back = current(message.id)!;
	expect(back.subject).toBe('Quarterly invoice');
	expect(back.categories).toEqual(['Finance']);
	expect(released.after).toEqual({
		id: message.id,
		mailbox: 'Inbox',
		locator: locatorOf(message.id),
	});
	await expect(
		remediator.release(target(released.after.locator), { subjectTag: '' }),
	).rejects.toMatchObject({
		code: 'NOT_QUARANTINED',
	});
});

test('a move that fails is reported, never sent again blindly (POST is not idempotent)', async () => {
	const message = seed();
	fake.fault({ method: 'POST', path: /\/move$/, status: 503 });
	const before = fake.requests.filter((r) => r.path.endsWith('/move')).length;
	await expect(
		remediator.remediate(
			target(locatorOf(message.id)),
			policy({
				quarantineFolder: 'JunkEmail',
				deleteAttachments: false,
				banner: false,
				auditFolder: '',
			}),
		),
	).rejects.toMatchObject({ source: 'graph', status: 503 });
	expect(fake.requests.filter((r) => r.path.endsWith('/move')).length - before).toBe(1);
	expect(current(message.id)).toBeDefined();
});

test('a run that failed after the audit copy does not copy again when retried', async () => {
	const message = seed();
	const chosen = policy();
	fake.fault({ method: 'DELETE', path: /\/attachments\//, status: 403 });
	await expect(
		remediator.remediate(target(locatorOf(message.id), scanFor(message)), chosen),
	).rejects.toMatchObject({
		status: 403,
	});
	const retried = await remediator.remediate(
		target(locatorOf(message.id), scanFor(message)),
		chosen,
	);
	expect(fake.messages(UPN, retried.audit!.mailbox)).toHaveLength(1);
	expect(retried.notes.join(' ')).toMatch(/no second copy/);
	expect(retried.done).toEqual(['deleteAttachment', 'banner']);
	expect(current(message.id)!.attachments.map((a) => a.name)).toEqual(['report.pdf']);
});
