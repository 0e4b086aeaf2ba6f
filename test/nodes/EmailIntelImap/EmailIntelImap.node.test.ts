import type { INodeExecutionData, INodeType } from 'n8n-workflow';

import { parseLocator } from '../../../lib/mail/locator';
import { sharedImapPool } from '../../../lib/providers/imap';
import { EmailIntelImap } from '../../../nodes/EmailIntelImap/EmailIntelImap.node';
import { runNode, shutdownN8nCore } from '../../helpers/n8n/execute';
import { startDovecot, type DovecotServer } from '../../imap/dovecot';
import { dovecotCredential } from '../../imap/credentials';
import { message } from '../../lib/providers/imap/messages';
import { expectNoSeen } from '../../lib/providers/imap/poll-helper';

/**
 * The Email Intel IMAP action node inside n8n-core's real ExecuteContext (parameters with
 * defaults, credentials, binary data service, continue-on-fail) against a real Dovecot.
 */
let server: DovecotServer;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await sharedImapPool().closeAll();
	shutdownN8nCore();
	await server?.stop();
});

const credentials = (overrides: Record<string, unknown> = {}) => ({
	emailIntelImapApi: dovecotCredential(server, overrides),
});

const run = (
	parameters: Record<string, unknown>,
	items: INodeExecutionData[] = [{ json: {} }],
	extra: { continueOnFail?: boolean; credentials?: Record<string, unknown> } = {},
) =>
	runNode(new EmailIntelImap(), {
		parameters: parameters as never,
		items,
		credentials: credentials(extra.credentials),
		continueOnFail: extra.continueOnFail,
	}).then((output) => output[0]);

const bytes = (item: INodeExecutionData, property: string) =>
	Buffer.from(item.binary![property].data, 'base64');

test('description: versioned, usable as a tool, the IMAP credential with its test, every operation described', () => {
	const v1 = new EmailIntelImap().getNodeType(1) as INodeType;
	expect(v1.description).toMatchObject({ name: 'emailIntelImap', usableAsTool: true });
	expect(v1.description.credentials).toEqual([
		{ name: 'emailIntelImapApi', required: true, testedBy: 'emailIntelImapApiTest' },
	]);
	expect(v1.methods?.credentialTest?.emailIntelImapApiTest).toBeInstanceOf(Function);
	const operations = v1.description.properties
		.filter((property) => property.name === 'operation')
		.flatMap((property) =>
			(property.options as Array<{ value: string }>).map(
				(option) => `${property.displayOptions?.show?.resource}:${option.value}`,
			),
		);
	expect(operations.sort()).toEqual([
		'mailbox:create',
		'mailbox:delete',
		'mailbox:list',
		'mailbox:rename',
		'message:copy',
		'message:delete',
		'message:downloadAttachment',
		'message:findByMessageId',
		'message:get',
		'message:getSource',
		'message:list',
		'message:move',
		'message:send',
		'message:updateFlags',
	]);
});

test('mailbox: list with counts, create, rename, delete', async () => {
	await server.seed('alice', 'Cases', [message(), message()], { flags: [['\\Seen'], []] });
	const listed = await run({ resource: 'mailbox', operation: 'list' });
	expect(listed.find((item) => item.json.path === 'Cases')?.json).toMatchObject({
		messages: 2,
		unseen: 1,
		delimiter: '/',
	});
	expect(listed.find((item) => item.json.path === 'Trash')?.json.specialUse).toBe('\\Trash');
	expect(listed.every((item) => item.pairedItem !== undefined)).toBe(true);

	expect(
		(await run({ resource: 'mailbox', operation: 'create', path: 'Cases/Open' }))[0].json,
	).toEqual({
		path: 'Cases/Open',
		created: true,
	});
	await run({
		resource: 'mailbox',
		operation: 'rename',
		path: 'Cases/Open',
		newPath: 'Cases/Done',
	});
	expect(
		(await run({ resource: 'mailbox', operation: 'delete', path: 'Cases/Done' }))[0].json,
	).toEqual({
		path: 'Cases/Done',
		deleted: true,
	});
	const paths = (await run({ resource: 'mailbox', operation: 'list', includeCounts: false })).map(
		(item) => item.json.path,
	);
	expect(paths).not.toContain('Cases/Done');
});

test('message: list pages with a snapshot, get decodes like the triggers, raw source and one attachment stream as binary', async () => {
	const raw = message({
		subject: 'phish with pdf',
		from: 'Attacker <bad@evil.example>',
		messageId: '<phish-1@evil.example>',
		text: 'x'.repeat(5000),
		attachments: [
			{ filename: 'invoice.pdf', contentType: 'application/pdf', content: PDF },
			{ filename: 'run.exe', contentType: 'application/x-msdownload', content: Buffer.from('MZ') },
		],
	});
	await server.seed('alice', 'Inbox2', [message({ subject: 'older' }), raw]);

	const [page0] = await run({
		resource: 'message',
		operation: 'list',
		mailbox: 'Inbox2',
		pageSize: 1,
	});
	expect(page0.json).toMatchObject({ page: 0, pages: 2, total: 2 });
	const entries = page0.json.messages as Array<Record<string, unknown>>;
	expect(entries).toHaveLength(1);
	expect(entries[0]).toMatchObject({ subject: 'phish with pdf', hasAttachments: true });
	await server.seed('alice', 'Inbox2', [message({ subject: 'arrived meanwhile' })]);
	const [page1] = await run({
		resource: 'message',
		operation: 'list',
		mailbox: 'Inbox2',
		pageSize: 1,
		page: 1,
		snapshot: page0.json.snapshot as number,
	});
	expect((page1.json.messages as Array<{ subject: string }>).map((entry) => entry.subject)).toEqual(
		['older'],
	);

	// Get takes the locator from the incoming item, as a workflow maps it.
	const [got] = await run(
		{ resource: 'message', operation: 'get', options: { maxTextChars: 100, includeRaw: true } },
		[{ json: { locator: entries[0].locator as string } }],
	);
	expect(got.json).toMatchObject({
		subject: 'phish with pdf',
		messageId: '<phish-1@evil.example>',
		textTruncated: true,
		attachments: [
			{ filename: 'invoice.pdf', contentType: 'application/pdf', binaryProperty: 'attachment_0' },
			{ filename: 'run.exe', skipped: 'mimeType' },
		],
	});
	expect((got.json.text as string).length).toBe(100);
	expect(bytes(got, 'attachment_0')).toEqual(PDF);
	expect(bytes(got, 'raw').toString('utf8')).toBe(raw);
	expect(got.pairedItem).toEqual({ item: 0 });

	const [source] = await run(
		{ resource: 'message', operation: 'getSource', binaryPropertyName: 'eml' },
		[{ json: { locator: entries[0].locator as string } }],
	);
	expect(source.binary?.eml).toMatchObject({ mimeType: 'message/rfc822' });
	expect(bytes(source, 'eml').toString('utf8')).toBe(raw);

	const exeId = (got.json.attachments as Array<{ id: string; filename: string }>).find(
		(attachment) => attachment.filename === 'run.exe',
	)!.id;
	const [attachment] = await run(
		{ resource: 'message', operation: 'downloadAttachment', attachmentId: exeId },
		[{ json: { locator: entries[0].locator as string } }],
	);
	expect(attachment.binary?.data).toMatchObject({
		fileName: 'run.exe',
		mimeType: 'application/x-msdownload',
	});
	expect(bytes(attachment, 'data')).toEqual(Buffer.from('MZ'));
	await expectNoSeen(server, 'Inbox2');
});

test('message: flags, copy, move, find by Message-ID and delete, addressed by locator or by mailbox + UID', async () => {
	const [uid] = await server.seed('alice', 'Triage', [
		message({ subject: 'suspect', messageId: '<suspect-1@example.org>' }),
	]);
	await run({
		resource: 'message',
		operation: 'updateFlags',
		addressBy: 'mailboxUid',
		mailbox: 'Triage',
		uid,
		mode: 'set',
		flags: '\\seen, $Phishing',
	});
	expect((await server.flags('alice', 'Triage')).get(uid)?.sort()).toEqual(['$Phishing', '\\Seen']);

	const [copied] = await run({
		resource: 'message',
		operation: 'copy',
		addressBy: 'mailboxUid',
		mailbox: 'Triage',
		uid,
		destination: 'Junk',
	});
	expect(copied.json).toMatchObject({ mailbox: 'Junk', copiedFrom: { mailbox: 'Triage', uid } });

	const found = await run({ resource: 'message', operation: 'findByMessageId' }, [
		{ json: { messageId: '<suspect-1@example.org>' } },
	]);
	expect(found.map((item) => item.json.mailbox).sort()).toEqual(['Junk', 'Triage']);

	const fromTriage = found.find((item) => item.json.mailbox === 'Triage')!.json.locator as string;
	await run({ resource: 'mailbox', operation: 'create', path: 'Archive2' });
	const [moved] = await run({ resource: 'message', operation: 'move', destination: 'Archive2' }, [
		{ json: { locator: fromTriage } },
	]);
	expect(parseLocator(moved.json.locator as string)).toMatchObject({ mailbox: 'Archive2' });

	const [deleted] = await run({ resource: 'message', operation: 'delete' }, [
		{ json: { locator: moved.json.locator as string } },
	]);
	expect(deleted.json).toMatchObject({
		deleted: true,
		action: 'trash',
		trash: { mailbox: 'Trash' },
	});
	expect((await server.flags('alice', 'Archive2')).size).toBe(0);
	expect((await server.flags('alice', 'Trash')).size).toBe(1);
});

test("errors: a gone message is a 404 naming its UID; continue-on-fail keeps going; another account's locator is refused", async () => {
	const [uid] = await server.seed('alice', 'Errors', [message()]);
	const [{ json: listed }] = await run({
		resource: 'message',
		operation: 'list',
		mailbox: 'Errors',
	});
	const locator = (listed.messages as Array<{ locator: string }>)[0].locator;
	await server.doveadm('expunge', '-u', 'alice', 'mailbox', 'Errors', 'all');

	await expect(
		run({ resource: 'message', operation: 'get' }, [{ json: { locator } }]),
	).rejects.toMatchObject({
		message: expect.stringContaining(`UID ${uid} not found`),
		httpCode: '404',
	});

	const [other] = await server.seed('alice', 'Errors', [message({ subject: 'still here' })]);
	const results = await run(
		{ resource: 'message', operation: 'updateFlags', flags: '\\Flagged' },
		[
			{ json: { locator } },
			{ json: { locator: locator.replace(`;UID=${uid}`, `;UID=${other}`) } },
			{ json: { locator: locator.replace('alice@', 'mallory@') } },
		],
		{ continueOnFail: true },
	);
	expect(results.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	expect(results[0].json.error).toContain('not found');
	expect(results[1].json).toMatchObject({ uid: other, flags: ['\\Flagged'] });
	expect(results[2].json.error).toContain('mallory');
	expect(results[2].json.description).toContain('locator');

	await expect(
		run({ resource: 'message', operation: 'list', mailbox: 'No/Such/Box' }),
	).rejects.toMatchObject({ description: expect.stringContaining('mailbox') });
	await expect(
		run({ resource: 'mailbox', operation: 'list' }, undefined, {
			credentials: { port: 1 },
		}),
	).rejects.toMatchObject({ description: expect.stringContaining('Port') });
});
