import type { IHookFunctions, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { enrollmentOf } from '../../../lib/scan/dsx-connect/enrollment';
import { dsxJson } from '../../../lib/scan/dsx-connect/json';
import { clearOwner, ownerKey } from '../../../lib/state/registry';
import { DsxConnectConnector } from '../../../nodes/DsxConnectConnector/DsxConnectConnector.node';
import { makeHmacHeader, startFakeDsxConnect, type FakeDsxConnect } from '../../fakes/dsx-connect';

/**
 * The trigger's activation hooks and webhook with n8n's context reduced to what the node reads
 * (the real n8n runs it in test/e2e/dsx-connect.e2e.test.ts): registration with the fake core,
 * then inbound calls signed by the fake's own port of dsx-connect's hmac.py.
 */
const BASE = 'https://n8n.example.com/webhook/wh-1/dsx';
const PARAMETERS: Record<string, unknown> = {
	mailProviders: 'graph',
	respond: 'lastNode',
	itemAction: 'movetag',
	itemActionMoveMetainfo: 'Quarantine',
	asset: 'soc@contoso.com',
};

interface Sent {
	status?: number;
	body?: string;
}

function context(
	fake: FakeDsxConnect,
	call?: {
		webhook: 'default' | 'setup';
		method: string;
		path: string;
		body: Buffer;
		authorization?: string;
	},
) {
	const sent: Sent = {};
	const warnings: string[] = [];
	const ctx = {
		getNodeParameter: (name: string, fallback?: unknown) => PARAMETERS[name] ?? fallback,
		getCredentials: async (type: string) => {
			if (type !== 'dsxConnectApi') throw new Error(`no ${type} credential in this test`);
			return { url: fake.url, enrollmentToken: 'tok', connectorName: 'mail-connector' };
		},
		getNodeWebhookUrl: (name: string) =>
			`${BASE}/${name === 'setup' ? 'read_file' : 'item_action'}`,
		getWebhookName: () => call?.webhook ?? 'default',
		getWorkflow: () => ({ id: 'wf-node', name: 'connector' }),
		getNode: () => ({ id: 'n-1', name: 'DSX Connect Connector' }),
		getMode: () => 'trigger',
		logger: {
			warn: (m: string) => warnings.push(m),
			error: (m: string) => warnings.push(m),
			debug: () => {},
			info: () => {},
		},
		getRequestObject: () => ({
			method: call?.method,
			url: call?.path,
			originalUrl: call?.path,
			headers: call?.authorization === undefined ? {} : { authorization: call.authorization },
			rawBody: call?.body,
		}),
		getResponseObject: () => ({
			headersSent: false,
			writeHead(status: number) {
				sent.status = status;
				return this;
			},
			end(body?: string) {
				sent.body = body;
			},
		}),
	};
	return { ctx, sent, warnings };
}

describe('DSX Connect Connector trigger', () => {
	const owner = ownerKey('wf-node', 'n-1', false);
	const node = new DsxConnectConnector();
	let fake: FakeDsxConnect;

	beforeAll(async () => {
		fake = await startFakeDsxConnect({ enrollmentToken: 'tok' });
	});
	afterAll(async () => {
		clearOwner(owner);
		await fake.close();
	});

	it('activation registers the connector at its webhook base URL and keeps the key in memory', async () => {
		const { ctx } = context(fake);
		const hooks = node.webhookMethods.default;
		expect(await hooks.checkExists.call(ctx as unknown as IHookFunctions)).toBe(false);
		expect(await hooks.create.call(ctx as unknown as IHookFunctions)).toBe(true);
		expect(await hooks.checkExists.call(ctx as unknown as IHookFunctions)).toBe(true);
		const [registered] = [...fake.connectors.values()];
		expect(registered.instance).toMatchObject({
			name: 'mail-connector',
			url: BASE,
			item_action: 'movetag',
			item_action_move_metainfo: 'Quarantine',
			asset: 'soc@contoso.com',
		});
		expect(enrollmentOf(owner)?.secret).toBe(registered.secret);
	});

	const location = 'graph://soc%40contoso.com/messages/AAMk1/attachments/att-1';
	const body: Buffer = Buffer.from(
		dsxJson({ location, metainfo: 'Fa\u0308ktura.pdf', scan_job_id: 'j1' }),
	);
	const signed = (method: string, path: string, signedBody = body, ts?: number, nonce?: string) => {
		const { keyId, secret } = [...fake.connectors.values()][0];
		return makeHmacHeader(keyId, secret, method, path, signedBody, ts, nonce);
	};
	const call = async (
		webhook: 'default' | 'setup',
		authorization: string | undefined,
		sentBody: Buffer = body,
	): Promise<{ result: IWebhookResponseData; sent: Sent; warnings: string[] }> => {
		const method = webhook === 'setup' ? 'POST' : 'PUT';
		const path = `/webhook/wh-1/dsx/${webhook === 'setup' ? 'read_file' : 'item_action'}`;
		const { ctx, sent, warnings } = context(fake, {
			webhook,
			method,
			path,
			body: sentBody,
			authorization,
		});
		const result = await node.webhook.call(ctx as unknown as IWebhookFunctions);
		return { result, sent, warnings };
	};

	it('a signed item_action becomes one item with the locator; its replay is refused with 401 and runs nothing', async () => {
		const authorization = signed('PUT', '/webhook/wh-1/dsx/item_action');
		const first = await call('default', authorization);
		expect(first.sent.status).toBeUndefined();
		expect(first.result.workflowData?.[0][0].json).toMatchObject({
			event: 'item_action',
			itemAction: 'movetag',
			locator: 'graph://soc%40contoso.com/messages/AAMk1',
			attachmentId: 'att-1',
			provider: 'graph',
			account: 'soc@contoso.com',
			id: 'AAMk1',
			metainfo: 'Fa\u0308ktura.pdf',
			scanJobId: 'j1',
		});
		const replay = await call('default', authorization);
		expect(replay.sent).toEqual({ status: 401, body: '{"detail":"replayed"}' });
		expect(replay.result.workflowData).toBeUndefined();
		expect(replay.warnings.join()).toContain('refused a PUT to item_action (replayed)');
	});

	it.each([
		['unsigned', () => undefined, body, 'missing'],
		[
			'tampered body',
			() => signed('PUT', '/webhook/wh-1/dsx/item_action'),
			Buffer.from(body.toString().replace('j1', 'j2')),
			'bad_signature',
		],
		[
			'signed for read_file',
			() => signed('POST', '/webhook/wh-1/dsx/read_file'),
			body,
			'bad_signature',
		],
		[
			'stale (61 s)',
			() =>
				signed('PUT', '/webhook/wh-1/dsx/item_action', body, Math.floor(Date.now() / 1000) - 61),
			body,
			'stale',
		],
		[
			'another key',
			() => makeHmacHeader('a2lk', 'secret', 'PUT', '/webhook/wh-1/dsx/item_action', body),
			body,
			'unknown_key_id',
		],
	])('%s item_action: 401 and no execution', async (_name, header, sentBody, reason) => {
		const refused = await call('default', header(), sentBody as Buffer);
		expect(refused.sent).toEqual({ status: 401, body: JSON.stringify({ detail: reason }) });
		expect(refused.result).toEqual({ noWebhookResponse: true });
	});

	it('an unsigned read_file is refused before any mailbox is opened', async () => {
		const refused = await call('setup', undefined);
		expect(refused.sent.status).toBe(401);
		expect(refused.warnings.join()).toContain('read_file (missing)');
	});

	it('deactivation unregisters and forgets the key', async () => {
		const { ctx } = context(fake);
		await node.webhookMethods.default.delete.call(ctx as unknown as IHookFunctions);
		expect(enrollmentOf(owner)).toBeUndefined();
		expect(fake.connectors.size).toBe(0);
	});
});
