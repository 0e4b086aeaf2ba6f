import { Readable } from 'node:stream';

import { getBinaryHelperFunctions } from 'n8n-core/dist/execution-engine/node-execution-context/utils/binary-helper-functions';

import { storeBuffer } from '../../../lib/mail/parse';
import { n8nBinarySink } from '../../../nodes/shared/binary-sink';
import type { AttachmentInfo } from '../../../lib/mail/types';

// n8n-core's real prepareBinaryData (default in-memory binary mode).
const helpers = getBinaryHelperFunctions(
	{ executionId: 'exec-1', restApiUrl: 'http://localhost/rest' } as never,
	'wf-1',
);
const sink = n8nBinarySink({ helpers } as never);

const info = (filename: string, contentType: string): AttachmentInfo => ({
	id: '2',
	filename,
	contentType,
	size: 0,
	inline: false,
});

function chunked(data: Buffer, size: number): Readable {
	const parts: Buffer[] = [];
	for (let offset = 0; offset < data.length; offset += size)
		parts.push(data.subarray(offset, offset + size));
	return Readable.from(parts);
}

describe('n8nBinarySink', () => {
	it('stores a small attachment whole, with the MIME filename and type', async () => {
		const data = Buffer.from('ioc,score\nexample.org,90\n');
		const binary = await sink(info('iocs report.csv', 'text/csv'), chunked(data, 7));
		expect(binary.fileName).toBe('iocs report.csv');
		expect(binary.mimeType).toBe('text/csv');
		expect(Buffer.from(binary.data, 'base64').equals(data)).toBe(true);
		expect(binary.bytes).toBe(data.length);
	});

	it('stores a multi-megabyte attachment from the stream, every byte in order', async () => {
		const data = Buffer.alloc(2 * 1024 * 1024 + 123);
		for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
		const binary = await sink(info('big.pdf', 'application/pdf'), chunked(data, 64 * 1024));
		expect(binary.fileName).toBe('big.pdf');
		expect(Buffer.from(binary.data, 'base64').equals(data)).toBe(true);
	});

	it("stores bytes already in memory (a parse thread's attachment) as the stream path would", async () => {
		const data = Buffer.from('%PDF-1.7 from the parse thread');
		const viaBuffer = await storeBuffer(sink, info('r.pdf', 'application/pdf'), data);
		const viaStream = await sink(info('r.pdf', 'application/pdf'), chunked(data, 5));
		expect(sink.fromBuffer).toBeInstanceOf(Function);
		expect(viaBuffer).toEqual(viaStream);
		expect(Buffer.from(viaBuffer.data, 'base64').equals(data)).toBe(true);
	});

	it('never stores a path, a control or a bidi character as the file name', async () => {
		const data = Buffer.from('x');
		const traversal = await storeBuffer(sink, info('../../etc/passwd.csv', 'text/csv'), data);
		expect(traversal.fileName).toBe('passwd.csv');
		const windows = await sink(info('..\\..\\win.ini.txt', 'text/plain'), chunked(data, 1));
		expect(windows.fileName).toBe('win.ini.txt');
		const bidi = await storeBuffer(
			sink,
			info('invoice\u202Efdp.exe\u0000', 'application/pdf'),
			data,
		);
		expect(bidi.fileName).toBe('invoicefdp.exe');
		const nothing = await storeBuffer(sink, info('../', 'application/pdf'), data);
		expect(nothing.fileName).toBe('attachment-1.pdf');
	});

	it('rejects when the attachment stream fails (size cap, broken encoding)', async () => {
		const failing = new Readable({
			read() {
				this.destroy(new Error('attachment exceeds the 10-byte size cap'));
			},
		});
		await expect(sink(info('a.pdf', 'application/pdf'), failing)).rejects.toThrow('size cap');
	});
});
