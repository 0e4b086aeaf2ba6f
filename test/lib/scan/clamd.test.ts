import { Readable } from 'node:stream';

import { isMailIntelError } from '../../../lib/errors';
import { ClamdEngine } from '../../../lib/scan/clamd';
import { scanFiles } from '../../../lib/scan/run';
import type { ScanInput } from '../../../lib/scan/types';
import { startClamd, type ClamdServer } from '../../clamav/clamd';
import { EICAR } from '../../fixtures/eicar';

/** A file as the runner takes it, its bytes handed out in 16 KiB chunks as a binary store would. */
function input(id: string, bytes: Buffer): ScanInput {
	return {
		file: { id, filename: `${id}.bin`, size: bytes.length },
		open: async () =>
			Readable.from(
				(function* () {
					for (let at = 0; at < bytes.length; at += 16 * 1024)
						yield bytes.subarray(at, at + 16 * 1024);
				})(),
			),
	};
}

describe('ClamAV engine against a real clamd (INSTREAM over TCP and a Unix socket)', () => {
	let clamd: ClamdServer;
	beforeAll(async () => {
		clamd = await startClamd();
	});
	afterAll(async () => {
		await clamd?.stop();
	});

	const engines = () => ({
		tcp: new ClamdEngine({ host: clamd.host, port: clamd.port }),
		unix: new ClamdEngine({ socketPath: clamd.socketPath }),
	});

	test.each(['tcp', 'unix'] as const)(
		'over %s: EICAR is Malicious with the signature name, a benign file Clean',
		async (transport) => {
			const engine = engines()[transport];
			const [eicar, benign] = await scanFiles(engine, [
				input('eicar', EICAR),
				input('benign', Buffer.from('quarterly report, nothing to see here\n'.repeat(1000))),
			]);
			expect(eicar).toMatchObject({
				verdict: 'Malicious',
				threatType: clamd.eicarSignature,
				engine: 'clamav',
			});
			expect(benign).toMatchObject({ verdict: 'Benign', engine: 'clamav' });
			expect(benign!.attachment.sha256).toMatch(/^[0-9a-f]{64}$/);
		},
	);

	test('the custom .ndb body signature, deep inside a 300 KB file split across chunks, is Malicious', async () => {
		const bytes = Buffer.concat([
			Buffer.alloc(150_000, 'a'),
			clamd.customMarker,
			Buffer.alloc(150_000, 'b'),
		]);
		const [verdict] = await scanFiles(engines().tcp, [input('custom', bytes)]);
		expect(verdict).toMatchObject({ verdict: 'Malicious', threatType: clamd.customSignature });
	});

	test("a stream over clamd's StreamMaxLength is NotScanned (size), not an error", async () => {
		const bytes = Buffer.alloc(clamd.streamMaxLength + 256 * 1024, 'x');
		// The runner's own cap is off: clamd's limit is what is tested.
		const [verdict] = await scanFiles(engines().unix, [input('big', bytes)]);
		expect(verdict).toMatchObject({ verdict: 'NotScanned', reason: 'size' });
	});

	test('PING answers PONG; a wrong port fails naming where nothing listens', async () => {
		await expect(engines().tcp.ping()).resolves.toBeUndefined();
		expect(await engines().tcp.version()).toMatch(/^ClamAV \d+\.\d+/);
		const wrong = new ClamdEngine({ host: clamd.host, port: 1, timeoutMs: 5000 });
		const error = await wrong.ping().catch((caught: unknown) => caught);
		expect(isMailIntelError(error) && error.code).toBe('ECONNREFUSED');
		expect((error as Error).message).toContain(`${clamd.host}:1`);
	});

	test('a missing socket path is a configuration error naming the field', async () => {
		const engine = new ClamdEngine({ socketPath: `${clamd.lab}/nope.sock` });
		await expect(scanFiles(engine, [input('x', EICAR)])).rejects.toMatchObject({
			source: 'clamav',
			field: 'socketPath',
		});
	});
});
