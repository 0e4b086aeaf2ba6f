import { Readable } from 'node:stream';

import { findArchivePassword } from '../../../lib/scan/archive-password';
import { DsxaEngine } from '../../../lib/scan/dsxa';
import { scanFiles } from '../../../lib/scan/run';
import type { ScanInput } from '../../../lib/scan/types';
import { scanReport } from '../../../lib/scan/verdicts';
import { EICAR, encryptForFake, startFakeDsxa, type FakeDsxa } from '../../fakes/dsxa';
import { makeSelfSigned } from '../../fakes/graph/certs';

const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };
const PDF_HEAD = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n');

/** An attachment as the runner takes it: its bytes as a stream of 8 KiB chunks, opened on demand. */
function attachment(
	id: string,
	filename: string,
	bytes: Buffer,
	extra: Partial<ScanInput> = {},
): ScanInput & { opened: number } {
	const input = {
		opened: 0,
		file: { id, filename, size: bytes.length, binaryProperty: id },
		open: async () => {
			input.opened++;
			return Readable.from(
				(function* () {
					for (let at = 0; at < bytes.length; at += 8192) yield bytes.subarray(at, at + 8192);
				})(),
			);
		},
		...extra,
	};
	return input;
}

describe('DSXA engine + scan runner against the DSXA fake', () => {
	let fake: FakeDsxa;
	// The fake listens on plain HTTP, as a scanner on a trusted internal network does.
	const engine = (token = 'scanner-token') =>
		new DsxaEngine({ url: fake.url, token, allowUnencryptedHttp: true });

	beforeEach(async () => {
		fake = await startFakeDsxa({ token: 'scanner-token' });
	});
	afterEach(async () => {
		await fake.stop();
	});

	test.each(['flat', 'nested'] as const)(
		'%s answers: EICAR inside a PDF-named attachment is Malicious, a benign one Clean; the report says Malicious',
		async (shape) => {
			fake.shape = shape;
			const files = await scanFiles(engine(), [
				attachment('att-0', 'invoice.pdf', Buffer.concat([PDF_HEAD, EICAR, PDF_HEAD])),
				attachment('att-1', 'notes.txt', Buffer.from('lunch at noon\n')),
			]);
			expect(files[0]).toMatchObject({
				verdict: 'Malicious',
				threatType: 'VIRUS',
				engine: 'dsxa',
				attachment: { id: 'att-0', filename: 'invoice.pdf' },
			});
			expect(files[0]!.scanId).toMatch(/^[0-9a-f]{32}$/);
			expect(files[1]).toMatchObject({ verdict: 'Benign', attachment: { filename: 'notes.txt' } });
			// The runner's hash of the bytes it streamed is the one the scanner computed.
			expect(files.map((file) => file.attachment.sha256)).toEqual(
				fake.scans.map((scan) => scan.sha256),
			);
			expect(scanReport('dsxa', files).verdict).toBe('Malicious');
		},
	);

	test('sends AUTH, AUTH_TOKEN, protected_entity and X-Custom-Metadata with the message and attachment ids', async () => {
		await scanFiles(engine(), [
			attachment('att-0', 'a.txt', Buffer.from('hello'), {
				metadata: { 'message-id': '<a,b@example.com>', 'attachment-id': 'att-0' },
			}),
		]);
		const headers = fake.scans[0]!.headers;
		expect(headers['auth']).toBe('scanner-token');
		expect(headers['auth_token']).toBe('scanner-token');
		expect(headers['protected_entity']).toBe('1');
		expect(headers['x-custom-metadata']).toBe(
			'message-id:%3Ca%2Cb%40example.com%3E,attachment-id:att-0',
		);
		// Streamed: chunked, no content-length computed from a buffer.
		expect(headers['transfer-encoding']).toBe('chunked');
	});

	test('a file over the size cap is NotScanned (size) and never reaches the scanner', async () => {
		const big = attachment('att-0', 'big.iso', Buffer.alloc(2048, 1));
		const files = await scanFiles(engine(), [big], { maxSizeBytes: 1024 });
		expect(files[0]).toMatchObject({ verdict: 'NotScanned', reason: 'size' });
		expect(fake.scans).toEqual([]);
		expect(big.opened).toBe(0);
	});

	test('a file whose declared size lies is stopped by the bytes that flow: NotScanned (size)', async () => {
		const liar = attachment('att-0', 'small.txt', Buffer.alloc(64 * 1024, 1));
		liar.file.size = 10;
		const files = await scanFiles(engine(), [liar], { maxSizeBytes: 1024, retry: FAST_RETRY });
		expect(files[0]).toMatchObject({ verdict: 'NotScanned', reason: 'size' });
		expect(fake.scans.filter((scan) => scan.verdict !== 'HTTP 0')).toEqual([]);
	});

	test('a password-protected archive is scanned with the password found in the email body', async () => {
		const body = 'Hello,\n\nthe invoice is attached.\nPassword: Inv-2026!\n\nRegards';
		const archive = encryptForFake(Buffer.concat([PDF_HEAD, EICAR]), 'Inv-2026!');
		const withoutPassword = await scanFiles(engine(), [attachment('a', 'invoice.zip', archive)]);
		expect(withoutPassword[0]).toMatchObject({ verdict: 'NotScanned' });
		expect(withoutPassword[0]!.reason).toContain('password protected');

		const password = findArchivePassword(body);
		expect(password).toBe('Inv-2026!');
		const files = await scanFiles(engine(), [
			attachment('a', 'invoice.zip', archive, { archivePassword: password! }),
		]);
		expect(files[0]).toMatchObject({ verdict: 'Malicious' });
		expect(fake.scans.at(-1)!.headers['scan_password']).toBe(
			Buffer.from('Inv-2026!').toString('base64'),
		);
	});

	test('"Not Scanned: initializing" is retried with the bytes opened again, then the verdict counts', async () => {
		fake.initializing(2);
		const file = attachment('a', 'x.pdf', Buffer.concat([PDF_HEAD, EICAR]));
		const files = await scanFiles(engine(), [file], { retry: FAST_RETRY });
		expect(files[0]).toMatchObject({ verdict: 'Malicious' });
		expect(fake.scans.map((scan) => scan.verdict)).toEqual([
			'Not Scanned',
			'Not Scanned',
			'Malicious',
		]);
		expect(file.opened).toBe(3);
	});

	test('still initializing after every retry: NotScanned (initializing), never Clean', async () => {
		fake.initializing(100);
		const files = await scanFiles(engine(), [attachment('a', 'x.pdf', PDF_HEAD)], {
			retry: { ...FAST_RETRY, retries: 2 },
		});
		expect(files[0]).toMatchObject({ verdict: 'NotScanned', reason: 'initializing' });
		expect(fake.scans).toHaveLength(3);
	});

	test('a 503 is retried; a scanner failing every time gives Error with the reason', async () => {
		fake.failNext(1, 503);
		const ok = await scanFiles(engine(), [attachment('a', 'x.txt', Buffer.from('fine'))], {
			retry: FAST_RETRY,
		});
		expect(ok[0]).toMatchObject({ verdict: 'Benign' });
		fake.failNext(100, 500);
		const failed = await scanFiles(engine(), [attachment('a', 'x.txt', Buffer.from('fine'))], {
			retry: { ...FAST_RETRY, retries: 1 },
		});
		expect(failed[0]).toMatchObject({ verdict: 'Error' });
		expect(failed[0]!.reason).toContain('HTTP 500');
	});

	test.each([1, 4])(
		'never more than the configured concurrency (%i) in flight, by the fake’s own count',
		async (concurrency) => {
			// Each answer waits long enough that every slot fills before the first one frees.
			fake.delayMs = 250;
			const inputs = Array.from({ length: 12 }, (_, n) =>
				attachment(`att-${n}`, `f${n}.bin`, Buffer.alloc(100_000, n)),
			);
			const files = await scanFiles(engine(), inputs, { concurrency });
			expect(files.every((file) => file.verdict === 'Benign')).toBe(true);
			expect(fake.scans).toHaveLength(12);
			expect(fake.maxInFlight).toBe(concurrency);
		},
	);

	test('hash first: a hash the scanner knows is not uploaded again; an unknown one is', async () => {
		const bytes = Buffer.concat([PDF_HEAD, EICAR]);
		await scanFiles(engine(), [attachment('a', 'x.pdf', bytes)]);
		fake.resetCounters();
		const again = attachment('a', 'x.pdf', bytes);
		const fresh = attachment('b', 'y.txt', Buffer.from('never seen'));
		const files = await scanFiles(engine(), [again, fresh], { hashFirst: true });
		expect(files.map((file) => file.verdict)).toEqual(['Malicious', 'Benign']);
		expect(fake.scans.map((scan) => `${scan.path} ${scan.verdict}`).sort()).toEqual([
			'/scan/binary/v2 Benign',
			'/scan/by_hash Malicious',
			'/scan/by_hash Unknown',
		]);
	});

	test('a 401 is thrown (not a per-file verdict), naming the token field', async () => {
		const error = await scanFiles(engine('wrong'), [
			attachment('a', 'x.txt', Buffer.from('a')),
			attachment('b', 'y.txt', Buffer.from('b')),
		]).catch((caught: unknown) => caught);
		expect(error).toMatchObject({
			source: 'dsx',
			status: 401,
			field: 'token',
			code: 'AUTH_FAILED',
		});
		expect((error as Error).message).toContain('auth token');
	});

	test('a scanner that never answers: Error after the per-file timeout, the other files still scanned', async () => {
		fake.delayMs = 60_000;
		const files = await scanFiles(engine(), [attachment('a', 'x.txt', Buffer.from('a'))], {
			timeoutMs: 300,
		});
		expect(files[0]).toMatchObject({ verdict: 'Error' });
		expect(files[0]!.reason).toContain('timeout');
	});
});

describe('a token over plain HTTP', () => {
	it('is refused unless the plainly named switch allows it, naming that switch', () => {
		let caught: unknown;
		try {
			new DsxaEngine({ url: 'http://dsxa.internal:5000', token: 'scanner-token' });
		} catch (error) {
			caught = error;
		}
		expect(caught).toMatchObject({ code: 'INSECURE_URL', field: 'allowUnencryptedHttp' });
		expect(
			() => new DsxaEngine({ url: 'https://dsxa.example.com', token: 'scanner-token' }),
		).not.toThrow();
		expect(() => new DsxaEngine({ url: 'http://dsxa.internal:5000' })).not.toThrow();
	});
});

describe('a scanner on https', () => {
	it("gets the bytes streamed over TLS verified with the credential's CA, and nothing without it", async () => {
		const identity = makeSelfSigned('dsxa.test');
		const fake = await startFakeDsxa({
			token: 'scanner-token',
			tls: { keyPem: identity.keyPem, certPem: identity.certPem },
		});
		try {
			const bytes = Buffer.concat([PDF_HEAD, EICAR]);
			const [trusted] = await scanFiles(
				new DsxaEngine({ url: fake.url, token: 'scanner-token', ca: identity.certPem }),
				[attachment('att-0', 'invoice.pdf', bytes)],
			);
			expect(trusted).toMatchObject({ verdict: 'Malicious', threatType: 'VIRUS' });
			expect(fake.scans).toHaveLength(1);
			expect(fake.scans[0]!.bytes).toBe(bytes.length);
			expect(fake.scans[0]!.headers['host']).toBe(new URL(fake.url).host);
			// Without the CA the certificate is refused, a configuration failure that stops the run.
			await expect(
				scanFiles(new DsxaEngine({ url: fake.url, token: 'scanner-token' }), [
					attachment('att-1', 'invoice.pdf', bytes),
				]),
			).rejects.toMatchObject({ source: 'dsx', message: expect.stringContaining('not trusted') });
			expect(fake.scans).toHaveLength(1);
		} finally {
			await fake.stop();
		}
	});
});
