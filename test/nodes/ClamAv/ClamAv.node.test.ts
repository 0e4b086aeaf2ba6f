import type { ICredentialTestFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';

import type { ScanReport } from '../../../lib/scan/types';
import { ClamAv } from '../../../nodes/ClamAv/ClamAv.node';
import { startClamd, type ClamdServer } from '../../clamav/clamd';
import { EICAR } from '../../fixtures/eicar';
import { runNode, shutdownN8nCore } from '../../helpers/n8n/execute';
import { emailItem } from '../shared/scan-items';

const reportOf = (item: INodeExecutionData | undefined) => item?.json.scan as unknown as ScanReport;

describe('ClamAV node (inside n8n-core ExecuteContext) against a real clamd', () => {
	let clamd: ClamdServer;
	beforeAll(async () => {
		clamd = await startClamd();
	});
	afterAll(async () => {
		shutdownN8nCore();
		await clamd?.stop();
	});
	const credentials = (connection: 'tcp' | 'socket'): Record<string, string | number> =>
		connection === 'tcp'
			? { connection, host: clamd.host, port: clamd.port, timeoutSeconds: 30 }
			: { connection, socketPath: clamd.socketPath, timeoutSeconds: 30 };

	test('description: versioned, usable as a tool, three named outputs, no DSX-only options', () => {
		const v1 = new ClamAv().getNodeType(1) as INodeType;
		expect(v1.description.usableAsTool).toBe(true);
		expect(v1.description.outputNames).toEqual(['Malicious', 'Clean', 'Not Scanned']);
		const options = v1.description.properties.find((property) => property.name === 'options');
		const names = (options?.options ?? []).map((option) => (option as { name: string }).name);
		expect(names).not.toContain('hashFirst');
		expect(names).not.toContain('archivePasswordSource');
	});

	test.each(['tcp', 'socket'] as const)(
		'over %s: EICAR and the custom signature go to Malicious with their names, a benign email to Clean, an over-limit file to Not Scanned',
		async (connection) => {
			const items = [
				emailItem('eicar', [
					{ filename: 'invoice.pdf', contentType: 'application/pdf', bytes: EICAR },
				]),
				emailItem('custom', [
					{
						filename: 'doc.docx',
						contentType: 'application/octet-stream',
						bytes: Buffer.concat([Buffer.alloc(70_000, 'a'), clamd.customMarker]),
					},
				]),
				emailItem('benign', [
					{ filename: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('hi') },
				]),
				emailItem('big', [
					{
						filename: 'big.bin',
						contentType: 'application/octet-stream',
						bytes: Buffer.alloc(clamd.streamMaxLength + 1024, 'z'),
					},
				]),
			];
			const [malicious, clean, notScanned] = await runNode(new ClamAv(), {
				parameters: {},
				items,
				credentials: { clamAvApi: credentials(connection) },
			});
			expect(malicious!.map((item) => reportOf(item).files[0]!.threatType)).toEqual([
				clamd.eicarSignature,
				clamd.customSignature,
			]);
			expect(clean!.map((item) => item.pairedItem)).toEqual([{ item: 2 }]);
			expect(reportOf(notScanned![0]).files[0]).toMatchObject({
				verdict: 'NotScanned',
				reason: 'size',
				engine: 'clamav',
			});
		},
	);

	test('credential test: PONG over TCP names the ClamAV version; a wrong port says where', async () => {
		const v1 = new ClamAv().getNodeType(1) as INodeType;
		const test = v1.methods!.credentialTest!.clamAvApiTest!;
		const call = (data: Record<string, unknown>) =>
			test.call({} as ICredentialTestFunctions, {
				id: '1',
				name: 'c',
				type: 'clamAvApi',
				data: data as never,
			});
		const ok = await call(credentials('tcp'));
		expect(ok).toMatchObject({ status: 'OK' });
		expect(ok.message).toMatch(/ClamAV \d/);
		const refused = await call({ connection: 'tcp', host: clamd.host, port: 1, timeoutSeconds: 5 });
		expect(refused.status).toBe('Error');
		expect(refused.message).toContain(`${clamd.host}:1`);
	});
});
