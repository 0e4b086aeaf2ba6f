import { DsxConnectClient } from '../../../../lib/scan/dsx-connect/client';
import {
	connectorUuid,
	enroll,
	enrollmentOf,
	findEnrollment,
	forgetConnector,
	heartbeatRunning,
	startHeartbeat,
} from '../../../../lib/scan/dsx-connect/enrollment';
import { clearOwner, ownerKey } from '../../../../lib/state/registry';
import { startFakeDsxConnect, type FakeDsxConnect } from '../../../fakes/dsx-connect';

describe('connector enrollment', () => {
	const active = ownerKey('wf-enroll', 'node-a', false);
	const manual = ownerKey('wf-enroll', 'node-a', true);
	let fake: FakeDsxConnect;

	beforeAll(async () => {
		fake = await startFakeDsxConnect({ enrollmentToken: 'tok' });
	});
	afterAll(async () => {
		clearOwner(active);
		clearOwner(manual);
		await fake.close();
	});

	it('derives one stable uuid per node, mode and dsx-connect', () => {
		const uuid = connectorUuid(active, 'https://dsx:8586');
		expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(connectorUuid(active, 'https://dsx:8586')).toBe(uuid);
		expect(connectorUuid(manual, 'https://dsx:8586')).not.toBe(uuid);
		expect(connectorUuid(active, 'https://other:8586')).not.toBe(uuid);
	});

	it('keeps the key in memory per owner; the action node finds the active connector by name; deactivation forgets it', async () => {
		const client = new DsxConnectClient({ url: fake.url, enrollmentToken: 'tok' });
		const instance = (owner: string, url: string) => ({
			name: 'mail-connector',
			uuid: connectorUuid(owner, client.baseUrl),
			url,
			status: 'ready' as const,
			item_action: 'nothing' as const,
			item_action_move_metainfo: '',
			asset: '',
			filter: '',
		});
		expect(() => findEnrollment(client.baseUrl, 'mail-connector')).toThrow(
			expect.objectContaining({ code: 'CONNECTOR_NOT_ENROLLED', field: 'connectorName' }),
		);
		await enroll(client, active, instance(active, 'http://n8n/webhook/a/dsx'));
		await enroll(client, manual, instance(manual, 'http://n8n/webhook-test/a/dsx'));
		expect(findEnrollment(client.baseUrl, 'mail-connector').connector.url).toBe(
			'http://n8n/webhook/a/dsx',
		);
		expect(() => findEnrollment(client.baseUrl, 'another')).toThrow(
			/no DSX Connect Connector trigger named "another"/,
		);
		forgetConnector(active);
		expect(enrollmentOf(active)).toBeUndefined();
		expect(findEnrollment(client.baseUrl, 'mail-connector').connector.url).toBe(
			'http://n8n/webhook-test/a/dsx',
		);
	});

	it('a heartbeat re-registers on its interval and stops once its entry is gone', async () => {
		let beats = 0;
		startHeartbeat(active, async () => void beats++, 20);
		expect(heartbeatRunning(active)).toBe(true);
		while (beats < 2) await new Promise((resolve) => setTimeout(resolve, 10));
		clearOwner(active);
		expect(heartbeatRunning(active)).toBe(false);
		const after = beats;
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(beats).toBe(after);
	});
});
