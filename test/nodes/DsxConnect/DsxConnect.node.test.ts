import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { NodeApiError, NodeOperationError, type INodeExecutionData } from 'n8n-workflow';

import { formatLocator } from '../../../lib/mail/locator';
import { DsxConnectClient } from '../../../lib/scan/dsx-connect/client';
import { connectorUuid, enroll } from '../../../lib/scan/dsx-connect/enrollment';
import { clearOwner, ownerKey } from '../../../lib/state/registry';
import { DsxConnect } from '../../../nodes/DsxConnect/DsxConnect.node';
import { EICAR, startFakeDsxConnect, type FakeDsxConnect } from '../../fakes/dsx-connect';
import { runNode, shutdownN8nCore } from '../../helpers/n8n/execute';

/**
 * Submit Scan Request inside n8n-core's ExecuteContext, against the dsx-connect fake, with the
 * connector enrolled the way the DSX Connect Connector trigger enrolls it (same process).
 */
describe('DSX Connect node: Submit Scan Request', () => {
	const owner = ownerKey('wf-connector', 'trigger-node', false);
	let fake: FakeDsxConnect;
	let connectorServer: http.Server;
	const served: string[] = [];
	const locator = formatLocator({
		provider: 'graph',
		account: 'soc@contoso.com',
		mailbox: '',
		id: 'AAMk/1=',
	});
	const email = (attachments: unknown[]): INodeExecutionData => ({
		json: { provider: 'graph', locator, subject: 'Invoice', attachments } as never,
	});

	beforeAll(async () => {
		fake = await startFakeDsxConnect({ enrollmentToken: 'tok' });
		// Stands in for the trigger's read_file / item_action webhooks (their signatures are the e2e's).
		connectorServer = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const { location } = JSON.parse(Buffer.concat(chunks).toString()) as { location: string };
				served.push(`${req.method} ${location}`);
				res.end(location.endsWith('att-evil') ? EICAR : '{"status":"success","message":"ok"}');
			});
		});
		await new Promise<void>((resolve) => connectorServer.listen(0, '127.0.0.1', resolve));
		const client = new DsxConnectClient({ url: fake.url, enrollmentToken: 'tok' });
		await enroll(client, owner, {
			name: 'mail-connector',
			uuid: connectorUuid(owner, client.baseUrl),
			url: `http://127.0.0.1:${(connectorServer.address() as AddressInfo).port}/webhook/x/dsx`,
			status: 'ready',
			item_action: 'movetag',
			item_action_move_metainfo: 'Quarantine',
			asset: '',
			filter: '',
		});
	});

	afterAll(async () => {
		clearOwner(owner);
		await fake.close();
		connectorServer.closeAllConnections();
		await new Promise((resolve) => connectorServer.close(resolve));
		shutdownN8nCore();
	});

	const run = (
		items: INodeExecutionData[],
		connectorName = 'mail-connector',
		continueOnFail = false,
	) =>
		runNode(new DsxConnect(), {
			parameters: { resource: 'scanRequest', operation: 'submit', options: {} },
			items,
			credentials: { dsxConnectApi: { url: fake.url, enrollmentToken: 'tok', connectorName } },
			continueOnFail,
		});

	it('submits one signed request per attachment with its location, name and size; the core reads each back', async () => {
		const [output] = await run([
			email([
				{
					id: 'att-evil',
					filename: 'invoice.pdf',
					size: 68,
					inline: false,
					contentType: 'application/pdf',
				},
				{ id: 'att-logo', filename: 'logo.png', size: 10, inline: true, contentType: 'image/png' },
				{
					id: 'att-link',
					filename: 'share',
					size: 0,
					inline: false,
					contentType: '',
					kind: 'referenceAttachment',
				},
			]),
		]);
		expect(output).toHaveLength(1);
		expect(output[0].pairedItem).toEqual({ item: 0 });
		expect(output[0].json).toMatchObject({
			locator,
			connector: 'mail-connector',
			submitted: 2,
			requests: [
				{
					location: `${locator}/attachments/att-evil`,
					filename: 'invoice.pdf',
					status: 'success',
					taskId: expect.any(String),
				},
				{ location: `${locator}/attachments/att-logo`, filename: 'logo.png', status: 'success' },
			],
		});
		await fake.settle();
		expect(
			fake.results.map((r) => [r.request.metainfo, r.request.size_in_bytes, r.verdict]),
		).toEqual([
			['invoice.pdf', 68, 'Malicious'],
			['logo.png', 10, 'Benign'],
		]);
		const jobIds = new Set(fake.results.map((r) => r.request.scan_job_id));
		expect(jobIds.size).toBe(1);
		expect(served).toContain(`PUT ${locator}/attachments/att-evil`);
	});

	it('an item without a locator, a Gmail item and an unknown connector fail with what to fix (continue-on-fail keeps going)', async () => {
		const gmail: INodeExecutionData = {
			json: { locator: 'gmail://me/messages/m1', attachments: [{ id: 'a1', filename: 'x' }] },
		};
		const [output] = await run(
			[{ json: { subject: 'no locator' } }, gmail, email([])],
			'mail-connector',
			true,
		);
		expect(output.map((item) => item.json.error ?? item.json.submitted)).toEqual([
			'the input item has no `locator`',
			expect.stringContaining('Gmail attachments is not supported yet'),
			0,
		]);
		const error = await run([email([])], 'no-such-connector').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toContain(
			'no DSX Connect Connector trigger named "no-such-connector"',
		);
		const noLocator = await run([{ json: {} }]).catch((e: unknown) => e);
		expect(noLocator).toBeInstanceOf(NodeOperationError);
	});
});
