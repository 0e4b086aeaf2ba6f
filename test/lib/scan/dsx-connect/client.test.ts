import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { isMailIntelError } from '../../../../lib/errors';
import { DsxConnectClient, type Enrollment } from '../../../../lib/scan/dsx-connect/client';
import { signedPathOf, verifyDsxHmac } from '../../../../lib/scan/dsx-connect/hmac';
import type { ConnectorInstance } from '../../../../lib/scan/dsx-connect/types';
import { clearOwner, ownerKey } from '../../../../lib/state/registry';
import { EICAR, startFakeDsxConnect, type FakeDsxConnect } from '../../../fakes/dsx-connect';

/**
 * The client against the fake core, and the fake core against a small connector that verifies
 * with the pack's verifier: both directions of DSX-HMAC between two independent implementations.
 */
describe('DsxConnectClient with the dsx-connect fake', () => {
	const owner = ownerKey('wf-client', 'n1', false);
	let fake: FakeDsxConnect;
	let connectorServer: http.Server;
	let connectorUrl: string;
	let enrollment: Enrollment | undefined;
	const seen: Array<{ method: string; path: string; verdict: string; body: string }> = [];
	const files = new Map<string, Buffer>([
		['graph://soc@contoso.com/messages/m1/attachments/a1', Buffer.from(`x${EICAR}y`)],
		['graph://soc@contoso.com/messages/m2/attachments/a2', Buffer.from('%PDF-1.4 clean')],
	]);

	beforeAll(async () => {
		fake = await startFakeDsxConnect({ enrollmentToken: 'enroll-secret' });
		connectorServer = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const body = Buffer.concat(chunks);
				const result = verifyDsxHmac({
					authorization: req.headers.authorization,
					method: req.method ?? '',
					pathAndQuery: signedPathOf(req.url ?? '/'),
					body,
					credentials: enrollment!,
					owner,
				});
				seen.push({
					method: req.method ?? '',
					path: req.url ?? '',
					verdict: result.ok ? 'ok' : result.reason,
					body: body.toString('utf8'),
				});
				if (!result.ok) {
					res.writeHead(401).end();
					return;
				}
				const location = (JSON.parse(body.toString('utf8')) as { location: string }).location;
				if (req.url?.endsWith('/read_file')) {
					res.writeHead(200, { 'content-type': 'application/octet-stream' });
					res.end(files.get(location));
				} else {
					res.writeHead(200, { 'content-type': 'application/json' });
					res.end(
						JSON.stringify({ status: 'success', message: 'quarantined', item_action: 'move' }),
					);
				}
			});
		});
		await new Promise<void>((resolve) => connectorServer.listen(0, '127.0.0.1', resolve));
		connectorUrl = `http://127.0.0.1:${(connectorServer.address() as AddressInfo).port}/webhook/abc/dsx`;
	});

	afterAll(async () => {
		clearOwner(owner);
		await fake.close();
		connectorServer.closeAllConnections();
		await new Promise((resolve) => connectorServer.close(resolve));
	});

	const instance = (): ConnectorInstance => ({
		name: 'n8n-mail',
		uuid: '0f8fad5b-d9cb-869f-a165-70867728950e',
		url: connectorUrl,
		status: 'ready',
		item_action: 'movetag',
		item_action_move_metainfo: 'Quarantine',
		asset: 'soc@contoso.com',
		filter: '',
	});

	it('refuses a wrong enrollment token with an error naming the field', async () => {
		const client = new DsxConnectClient({ url: fake.url, enrollmentToken: 'wrong' });
		const error = await client.register(instance()).catch((e: unknown) => e);
		expect(isMailIntelError(error) && error).toMatchObject({
			code: 'INVALID_ENROLLMENT_TOKEN',
			status: 401,
			field: 'enrollmentToken',
		});
	});

	it('registers (201), and a re-registration as heartbeat (200) gets the same credentials back', async () => {
		const client = new DsxConnectClient({
			url: `${fake.url}/dsx-connect/api/v1/`,
			enrollmentToken: 'enroll-secret',
		});
		const first = await client.register(instance());
		const again = await client.register(instance());
		expect(first.status).toBe(201);
		expect(again.status).toBe(200);
		expect(again.keyId).toBe(first.keyId);
		expect(again.secret).toBe(first.secret);
		expect(fake.connectors.get(instance().uuid)?.registrations).toBe(2);
		enrollment = again;
	});

	it('a signed scan request is accepted; the core reads the bytes back (signed) and calls item_action on Malicious only', async () => {
		const client = new DsxConnectClient({ url: fake.url, enrollmentToken: 'enroll-secret' });
		const answers = await Promise.all(
			[...files.keys()].map((location, i) =>
				client.requestScan(enrollment!, {
					location,
					metainfo: i === 0 ? 'Rechnung März.exe' : 'clean.pdf',
					scan_job_id: 'job-1',
				}),
			),
		);
		for (const answer of answers)
			expect(answer).toMatchObject({
				status: 'success',
				message: expect.stringMatching(/^Scan task ID: /),
			});
		await fake.settle();
		const byLocation = new Map(fake.results.map((r) => [r.request.location, r]));
		expect(byLocation.get('graph://soc@contoso.com/messages/m1/attachments/a1')).toMatchObject({
			readFile: { status: 200, bytes: EICAR.length + 2 },
			verdict: 'Malicious',
			itemAction: { status: 200, json: { status: 'success', item_action: 'move' } },
		});
		expect(byLocation.get('graph://soc@contoso.com/messages/m2/attachments/a2')).toMatchObject({
			readFile: { status: 200 },
			verdict: 'Benign',
		});
		expect(
			byLocation.get('graph://soc@contoso.com/messages/m2/attachments/a2')?.itemAction,
		).toBeUndefined();
		// Every callback passed the pack's verifier; the core sent the connector and its url along.
		expect(
			seen.map((s) => `${s.method} ${s.path.replace(/.*\/dsx/, '')} ${s.verdict}`).sort(),
		).toEqual(['POST /read_file ok', 'POST /read_file ok', 'PUT /item_action ok']);
		const callback = JSON.parse(seen[0].body) as Record<string, unknown>;
		expect(callback).toMatchObject({
			connector: { uuid: instance().uuid },
			connector_url: connectorUrl,
		});
		// Non-ASCII travels as \uXXXX, exactly as dsx-connect writes it.
		expect(seen.find((s) => s.body.includes('Rechnung'))?.body).toContain(
			'Rechnung M\\u00e4rz.exe',
		);
	});

	it('a scan request the core cannot verify fails with HMAC_REFUSED (401)', async () => {
		const client = new DsxConnectClient({ url: fake.url, enrollmentToken: 'enroll-secret' });
		const error = await client
			.requestScan(
				{ ...enrollment!, secret: 'not-the-secret' },
				{ location: 'graph://a@b/messages/m/attachments/x', metainfo: 'x' },
			)
			.catch((e: unknown) => e);
		expect(isMailIntelError(error) && error).toMatchObject({ code: 'HMAC_REFUSED', status: 401 });
		expect(fake.events.at(-1)).toEqual({
			type: 'scan_request',
			status: 401,
			reason: 'bad_signature',
		});
	});

	it('unregisters with a signed DELETE; a forged one is refused', async () => {
		const client = new DsxConnectClient({ url: fake.url, enrollmentToken: 'enroll-secret' });
		await expect(client.unregister({ ...enrollment!, secret: 'forged' })).rejects.toMatchObject({
			status: 401,
		});
		expect(fake.connectors.has(instance().uuid)).toBe(true);
		await client.unregister(enrollment!);
		expect(fake.connectors.has(instance().uuid)).toBe(false);
		expect(fake.events.filter((e) => e.type === 'unregister').map((e) => e.status)).toEqual([
			401, 204,
		]);
	});

	it('refuses a credential URL that is not http(s), naming the field', () => {
		expect(() => new DsxConnectClient({ url: 'dsx-connect:8586', enrollmentToken: 't' })).toThrow(
			expect.objectContaining({ field: 'url' }),
		);
	});
});
