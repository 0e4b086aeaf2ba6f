import {
	NodeApiError,
	type ICredentialTestFunctions,
	type INodeExecutionData,
	type INodeType,
} from 'n8n-workflow';

import type { ScanReport } from '../../../lib/scan/types';
import { DeepInstinctDsx } from '../../../nodes/DeepInstinctDsx/DeepInstinctDsx.node';
import { EICAR, encryptForFake, startFakeDsxa, type FakeDsxa } from '../../fakes/dsxa';
import { memoryDeduplication } from '../../helpers/n8n/deduplication';
import { runNode, shutdownN8nCore } from '../../helpers/n8n/execute';
import { emailItem } from '../shared/scan-items';

const PDF = Buffer.from('%PDF-1.7\n% a small benign document\n%%EOF\n');
const EICAR_PDF = Buffer.concat([PDF, EICAR]);
const TOKEN = 'dsxa-token';

const reportOf = (item: INodeExecutionData | undefined) => item?.json.scan as unknown as ScanReport;

describe('Deep Instinct DSX node (inside n8n-core ExecuteContext) against the DSXA fake', () => {
	let fake: FakeDsxa;
	const run = (
		parameters: Record<string, unknown>,
		items: INodeExecutionData[],
		extra: { token?: string; continueOnFail?: boolean } = {},
	) =>
		runNode(new DeepInstinctDsx(), {
			parameters: parameters as never,
			items,
			credentials: {
				deepInstinctDsxApi: {
					url: fake.url,
					allowUnencryptedHttp: true,
					token: extra.token ?? TOKEN,
					protectedEntity: 3,
				},
			},
			continueOnFail: extra.continueOnFail,
		});

	beforeEach(async () => {
		fake = await startFakeDsxa({ token: TOKEN });
	});
	afterEach(async () => {
		await fake.stop();
	});
	afterAll(shutdownN8nCore);

	test('description: versioned, usable as a tool, three named outputs, the DSX credential with its test', () => {
		const v1 = new DeepInstinctDsx().getNodeType(1) as INodeType;
		expect(v1.description.name).toBe('deepInstinctDsx');
		expect(v1.description.usableAsTool).toBe(true);
		expect(v1.description.outputNames).toEqual(['Malicious', 'Clean', 'Not Scanned']);
		expect(v1.description.credentials).toEqual([
			{ name: 'deepInstinctDsxApi', required: true, testedBy: 'deepInstinctDsxApiTest' },
		]);
	});

	test('Scan Attachments routes each email by its worst attachment; items keep their binaries and gain `scan`', async () => {
		const infected = emailItem('infected', [
			{ filename: 'invoice.pdf', contentType: 'application/pdf', bytes: EICAR_PDF },
			{ filename: 'notes.txt', contentType: 'text/plain', bytes: Buffer.from('notes') },
		]);
		const clean = emailItem('clean', [
			{ filename: 'report.pdf', contentType: 'application/pdf', bytes: PDF },
		]);
		const partly = emailItem('partly', [
			{ filename: 'report.pdf', contentType: 'application/pdf', bytes: PDF },
			{ filename: 'huge.iso', contentType: 'application/octet-stream', skipped: 'size' },
		]);
		const bare = emailItem('bare', []);
		const [malicious, benign, notScanned] = await run({}, [infected, clean, partly, bare]);

		expect(malicious).toHaveLength(1);
		expect(malicious![0]!.pairedItem).toEqual({ item: 0 });
		expect(Object.keys(malicious![0]!.binary ?? {})).toEqual(['attachment_0', 'attachment_1']);
		const report = reportOf(malicious![0]);
		expect(report).toMatchObject({ verdict: 'Malicious', engine: 'dsxa' });
		expect(report.files.map((file) => [file.attachment.filename, file.verdict])).toEqual([
			['invoice.pdf', 'Malicious'],
			['notes.txt', 'Benign'],
		]);
		expect(report.files[0]!.threatType).toBe('VIRUS');

		expect(benign!.map((item) => item.pairedItem)).toEqual([{ item: 1 }]);
		expect(reportOf(benign![0]).verdict).toBe('Benign');

		// A skipped attachment and an email without attachments never pass as Clean.
		expect(notScanned!.map((item) => item.pairedItem)).toEqual([{ item: 2 }, { item: 3 }]);
		expect(reportOf(notScanned![0]).files.map((file) => [file.verdict, file.reason])).toEqual([
			['Benign', expect.any(String)],
			['NotScanned', 'size'],
		]);
		expect(reportOf(notScanned![1])).toMatchObject({ verdict: 'NotScanned', files: [] });

		// The credential's protected entity and the message/attachment ids reached the scanner.
		expect(fake.scans[0]!.headers['protected_entity']).toBe('3');
		expect(fake.scans.map((scan) => scan.headers['x-custom-metadata'])).toContain(
			'message-id:%3Cinfected%40example.com%3E,attachment-id:2',
		);
	});

	test('archive password "from the email text" opens the protected archive', async () => {
		const archive = encryptForFake(EICAR_PDF, 'Rech-2026');
		const item = emailItem(
			'zip',
			[{ filename: 'invoice.zip', contentType: 'application/zip', bytes: archive }],
			'Dear customer,\nyour invoice is attached.\nPassword: Rech-2026\n',
		);
		const [withoutPassword] = await run({}, [item]).then((outputs) => [outputs[2]]);
		expect(reportOf(withoutPassword![0]).files[0]!.reason).toContain('password protected');
		const [malicious] = await run({ options: { archivePasswordSource: 'emailText' } }, [item]);
		expect(reportOf(malicious![0]).verdict).toBe('Malicious');
	});

	test('Scan File scans one binary property of any item; hash first skips the upload of a known file', async () => {
		const item: INodeExecutionData = {
			json: { name: 'upload' },
			binary: {
				data: {
					data: EICAR_PDF.toString('base64'),
					mimeType: 'application/pdf',
					fileName: 'x.pdf',
				},
			},
		};
		const [first] = await run({ operation: 'scanFile' }, [item]);
		expect(reportOf(first![0]).files[0]).toMatchObject({
			verdict: 'Malicious',
			attachment: { filename: 'x.pdf', size: EICAR_PDF.length, binaryProperty: 'data' },
		});
		fake.resetCounters();
		const [second] = await run({ operation: 'scanFile', options: { hashFirst: true } }, [item]);
		expect(reportOf(second![0]).verdict).toBe('Malicious');
		expect(fake.scans.map((scan) => scan.path)).toEqual(['/scan/by_hash']);
	});

	test('max file size: a larger attachment is Not Scanned (size) and never sent', async () => {
		const item = emailItem('big', [
			{
				filename: 'big.bin',
				contentType: 'application/octet-stream',
				bytes: Buffer.alloc(3 * 1024 * 1024),
			},
		]);
		const [, , notScanned] = await run({ options: { maxSizeMb: 1 } }, [item]);
		expect(reportOf(notScanned![0]).files[0]).toMatchObject({
			verdict: 'NotScanned',
			reason: 'size',
		});
		expect(fake.scans).toEqual([]);
	});

	test('skip files scanned in earlier executions: the second run sends nothing and says "duplicate"', async () => {
		await memoryDeduplication();
		const item = emailItem('dedupe', [
			{ filename: 'invoice.pdf', contentType: 'application/pdf', bytes: EICAR_PDF },
		]);
		const options = { options: { skipScanned: true } };
		const [first] = await run(options, [item]);
		expect(reportOf(first![0]).verdict).toBe('Malicious');
		expect(fake.scans).toHaveLength(1);
		const [, , second] = await run(options, [item]);
		expect(reportOf(second![0]).files[0]).toMatchObject({
			verdict: 'NotScanned',
			reason: 'duplicate',
		});
		expect(fake.scans).toHaveLength(1);
	});

	test('a file that failed is not remembered: the next execution scans it again', async () => {
		await memoryDeduplication();
		const item = emailItem('retry-later', [
			{ filename: 'a.pdf', contentType: 'application/pdf', bytes: Buffer.from('%PDF retry') },
		]);
		fake.failNext(100, 500);
		const options = { options: { skipScanned: true, timeoutSeconds: 2 } };
		const [, , failed] = await run(options, [item]);
		expect(reportOf(failed![0]).files[0]!.verdict).toBe('Error');
		fake.failNext(0);
		const [, clean] = await run(options, [item]);
		expect(reportOf(clean![0]).verdict).toBe('Benign');
	});

	test('a wrong token fails the node naming the Auth Token field; with continue-on-fail the item goes to Not Scanned', async () => {
		const item = emailItem('x', [
			{ filename: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('a') },
		]);
		const error = await run({}, [item], { token: 'wrong' }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).httpCode).toBe('401');
		expect((error as NodeApiError).description).toContain('token');
		const [, , notScanned] = await run({}, [item], { token: 'wrong', continueOnFail: true });
		expect(notScanned![0]!.json.error).toContain('auth token');
		expect(notScanned![0]!.binary?.attachment_0).toBeDefined();
	});

	test('credential test: OK against the scanner, a wrong token says so', async () => {
		const v1 = new DeepInstinctDsx().getNodeType(1) as INodeType;
		const test = v1.methods!.credentialTest!.deepInstinctDsxApiTest!;
		const call = (token: string) =>
			test.call({} as ICredentialTestFunctions, {
				id: '1',
				name: 'dsx',
				type: 'deepInstinctDsxApi',
				data: { url: fake.url, allowUnencryptedHttp: true, token, protectedEntity: 1 },
			});
		await expect(call(TOKEN)).resolves.toMatchObject({ status: 'OK' });
		const refused = await call('nope');
		expect(refused.status).toBe('Error');
		expect(refused.message).toContain('Auth Token');
	});
});
