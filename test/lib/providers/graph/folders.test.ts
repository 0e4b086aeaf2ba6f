import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import type { BufferedAttachment } from '../../../../lib/mail/parse';
import {
	GraphMailSession,
	parseMailboxList,
	scopeKey,
	type GraphTriggerState,
	type MailboxScope,
} from '../../../../lib/providers/graph';
import { MailIntelError } from '../../../../lib/errors';
import { clearOwner } from '../../../../lib/state/registry';
import {
	fakeGraphConfig,
	startFakeGraph,
	startSubscriber,
	type FakeGraph,
	type Subscriber,
} from '../../../fakes/graph';

const UPN = 'soc@contoso.com';

/**
 * Folders given by display name or path (the Mailboxes parameter `upn/Folder/Subfolder`) are
 * resolved to their ids through Graph's `$filter=displayName eq '…'`, once per node; the state
 * stays keyed by the configured text. Against the https Graph fake.
 */
describe('Graph folders by name or path', () => {
	let fake: FakeGraph;
	let owner = 0;
	beforeAll(async () => {
		fake = await startFakeGraph({ defaultPageSize: 10 });
	});
	afterAll(async () => fake.close());

	function session(scopes: MailboxScope[], lockPrefix = `folders-${++owner}`) {
		return new GraphMailSession<BufferedAttachment>({
			config: fakeGraphConfig(fake),
			scopes,
			policy: DEFAULT_POLICY,
			since: new Date(Date.now() - 3_600_000),
			maxItemsPerPass: 1000,
			lockPrefix,
			retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 },
		});
	}
	const folderLookups = (from: number) =>
		fake.requests.slice(from).filter((r) => /\$filter=displayName/.test(r.path));

	it('Inbox/Phishing Reports delivers its mail through a delta pass; the state keeps the configured text', async () => {
		const id = fake.addFolder(UPN, 'Inbox/Phishing Reports');
		fake.addMessages(UPN, 'Inbox', [{ subject: 'not this one' }]);
		const reported = fake.addMessages(UPN, id, [
			{ subject: 'reported 1' },
			{ subject: 'reported 2' },
		]);
		const [scope] = parseMailboxList(`${UPN}/Inbox/Phishing Reports`);
		expect(scope).toEqual({ upn: UPN, folder: 'Inbox/Phishing Reports' });
		const graph = session([scope]);
		const state: Partial<GraphTriggerState> = {};
		const before = fake.requests.length;
		const items = await graph.deltaPass(scope, state);
		expect(items?.map((item) => item.email.subject).sort()).toEqual(['reported 1', 'reported 2']);
		expect(items?.map((item) => item.email.mailbox)).toEqual([
			'Inbox/Phishing Reports',
			'Inbox/Phishing Reports',
		]);
		// One lookup (the Inbox is a well-known name), a quoted display name in an OData filter.
		expect(folderLookups(before).map((r) => decodeURIComponent(r.path))).toEqual([
			`/v1.0/users/${UPN}/mailFolders/Inbox/childFolders?$filter=displayName eq 'Phishing Reports'&$select=id,displayName`,
		]);
		expect(
			fake.requests
				.slice(before)
				.some((r) =>
					r.path.startsWith(`/v1.0/users/soc%40contoso.com/mailFolders/${id}/messages/delta`),
				),
		).toBe(true);
		// Stored cursors stay under the configured text.
		expect(Object.keys(state.scopes ?? {})).toEqual([scopeKey(scope)]);
		expect(scopeKey(scope)).toBe('soc@contoso.com/Inbox/Phishing Reports');
		graph.close();

		// A later run of the same node (a new session) reuses the id; a new message comes out.
		const next = session([scope], `folders-${owner}`);
		const more = fake.addMessages(UPN, id, [{ subject: 'reported 3' }]);
		const again = fake.requests.length;
		const fresh: Partial<GraphTriggerState> = {};
		expect((await next.deltaPass(scope, fresh))?.map((item) => item.email.id).sort()).toEqual(
			[...reported, ...more].map((m) => m.id).sort(),
		);
		expect(folderLookups(again)).toEqual([]);
		next.close();
	});

	it('a top-level folder by display name (with a quote) and a path of three levels', async () => {
		const top = fake.addFolder(UPN, "Bob's Reports");
		const deep = fake.addFolder(UPN, 'Projects/2026/Incidents');
		fake.addMessages(UPN, top, [{ subject: 'bob' }]);
		fake.addMessages(UPN, deep, [{ subject: 'incident' }]);
		const scopes = parseMailboxList(`${UPN}/Bob's Reports\n${UPN}/Projects/2026/Incidents`);
		const graph = session(scopes);
		const before = fake.requests.length;
		expect((await graph.deltaPass(scopes[0], {}))?.map((i) => i.email.subject)).toEqual(['bob']);
		expect((await graph.deltaPass(scopes[1], {}))?.map((i) => i.email.subject)).toEqual([
			'incident',
		]);
		expect(folderLookups(before).map((r) => decodeURIComponent(r.path))).toEqual([
			`/v1.0/users/${UPN}/mailFolders?$filter=displayName eq 'Bob''s Reports'&$select=id,displayName`,
			`/v1.0/users/${UPN}/mailFolders?$filter=displayName eq 'Projects'&$select=id,displayName`,
			expect.stringMatching(/\/childFolders\?\$filter=displayName eq '2026'/),
			expect.stringMatching(/\/childFolders\?\$filter=displayName eq 'Incidents'/),
		]);
		graph.close();
	});

	it('well-known names and ids are used as they are, with no lookup', async () => {
		const id = fake.addFolder(UPN, 'Inbox/By Id');
		fake.addMessages(UPN, id, [{ subject: 'by id' }]);
		fake.addMessages(UPN, 'JunkEmail', [{ subject: 'junk' }]);
		const scopes = parseMailboxList(`${UPN}/${id}\n${UPN}/JunkEmail`);
		const graph = session(scopes);
		const before = fake.requests.length;
		expect((await graph.deltaPass(scopes[0], {}))?.map((i) => i.email.subject)).toEqual(['by id']);
		expect((await graph.deltaPass(scopes[1], {}))?.map((i) => i.email.subject)).toEqual(['junk']);
		expect(folderLookups(before)).toEqual([]);
		graph.close();
	});

	it('a missing folder fails naming the folder, the mailbox and the Mailboxes field', async () => {
		const [scope] = parseMailboxList(`${UPN}/Inbox/No Such Folder`);
		const graph = session([scope]);
		const failure = await graph.deltaPass(scope, {}).catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(MailIntelError);
		expect(failure).toMatchObject({
			message: 'the mail folder "Inbox/No Such Folder" was not found in soc@contoso.com',
			field: 'mailboxes',
			code: 'FOLDER_NOT_FOUND',
			hint: expect.stringContaining('No folder "No Such Folder" inside "Inbox"'),
		});
		// Not remembered: once the folder exists, the next pass finds it.
		const id = fake.addFolder(UPN, 'Inbox/No Such Folder');
		fake.addMessages(UPN, id, [{ subject: 'now here' }]);
		expect((await graph.deltaPass(scope, {}))?.map((i) => i.email.subject)).toEqual(['now here']);
		graph.close();
	});

	describe('subscriptions', () => {
		let subscriber: Subscriber;
		beforeAll(async () => {
			subscriber = await startSubscriber(({ query, res }) => {
				if (query.validationToken)
					res.writeHead(200, { 'content-type': 'text/plain' }).end(query.validationToken);
				else res.writeHead(202).end();
			});
		});
		afterAll(async () => subscriber.close());

		it("subscribe to the resolved folder id: users/{upn}/mailFolders('{id}')/messages", async () => {
			const id = fake.addFolder(UPN, 'Inbox/Subscribed');
			const [scope] = parseMailboxList(`${UPN}/Inbox/Subscribed`);
			const lockPrefix = `folders-${++owner}`;
			const graph = session([scope], lockPrefix);
			const state = graph.prepareState({});
			const [created] = await graph.createSubscriptions(state, subscriber.url);
			expect(created.resource).toBe(`users/${UPN}/mailFolders('${id}')/messages`);
			expect(state.scopes[scopeKey(scope)].subscription?.id).toBe(created.id);
			graph.close();
			clearOwner(lockPrefix);
		});
	});
});
