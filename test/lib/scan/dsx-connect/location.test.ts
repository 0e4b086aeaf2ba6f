import { PassThrough, Readable } from 'node:stream';

import { formatLocator } from '../../../../lib/mail/locator';
import type { MailProvider } from '../../../../lib/providers/types';
import { formatLocation, parseLocation } from '../../../../lib/scan/dsx-connect/location';
import { readLocation } from '../../../../lib/scan/dsx-connect/read-location';

const imapLocator = formatLocator(
	{
		provider: 'imap',
		account: 'alice@example.com',
		mailbox: 'INBOX/Phish reports',
		id: '7:45',
		uid: 45,
		uidValidity: '7',
	},
	{ host: 'imap.example.com', port: 993 },
);
const graphLocator = formatLocator({
	provider: 'graph',
	account: 'soc@contoso.com',
	mailbox: '',
	id: 'AAMk/+a=',
});

describe('attachment locations', () => {
	it('are the locator plus the attachment id, and parse back to both', () => {
		const imap = formatLocation(imapLocator, '2.1');
		expect(imap).toBe(`${imapLocator}/;SECTION=2.1`);
		expect(parseLocation(imap)).toMatchObject({
			locator: imapLocator,
			attachmentId: '2.1',
			message: {
				provider: 'imap',
				host: 'imap.example.com',
				port: 993,
				mailbox: 'INBOX/Phish reports',
				uid: 45,
				uidValidity: '7',
			},
		});
		const graph = formatLocation(graphLocator, 'AAMkAtt/+=');
		expect(graph).toBe(`${graphLocator}/attachments/AAMkAtt%2F%2B%3D`);
		expect(parseLocation(graph)).toMatchObject({
			attachmentId: 'AAMkAtt/+=',
			message: { provider: 'graph', account: 'soc@contoso.com', id: 'AAMk/+a=' },
		});
	});

	it('refuse what is not one, naming the field', () => {
		for (const bad of [
			'/etc/passwd',
			`${graphLocator}/attachments/`,
			`${imapLocator}/;SECTION=../1`,
			'x'.repeat(5000),
		])
			expect(() => parseLocation(bad)).toThrow(
				expect.objectContaining({ code: 'BAD_LOCATION', field: 'location' }),
			);
		expect(() => formatLocation(imapLocator, 'not-a-part')).toThrow(
			expect.objectContaining({ code: 'BAD_LOCATION' }),
		);
	});
});

describe('readLocation', () => {
	const fakeProvider = (content: string, calls: string[]): MailProvider =>
		({
			attachment: async (ref: { id: string }, id: string) => {
				calls.push(`attachment ${ref.id} ${id}`);
				return Readable.from([Buffer.from(content)]);
			},
			close: async () => void calls.push('close'),
		}) as unknown as MailProvider;

	it("streams the provider's attachment and closes the provider once the stream is done", async () => {
		const calls: string[] = [];
		const opened = await readLocation(formatLocation(graphLocator, 'att-1'), {
			graph: (message) => {
				calls.push(`open ${message.account}`);
				return fakeProvider('bytes', calls);
			},
		});
		const sink = new PassThrough();
		const chunks: Buffer[] = [];
		sink.on('data', (c: Buffer) => chunks.push(c));
		await new Promise((resolve) => opened.stream.pipe(sink).on('finish', resolve));
		await new Promise((resolve) => setImmediate(resolve));
		expect(Buffer.concat(chunks).toString()).toBe('bytes');
		expect(calls).toEqual(['open soc@contoso.com', 'attachment AAMk/+a= att-1', 'close']);
	});

	it('says NOT_SUPPORTED for Gmail, and which credential is missing otherwise', async () => {
		await expect(readLocation('gmail://me/messages/m1/attachments/a1', {})).rejects.toMatchObject({
			code: 'NOT_SUPPORTED',
		});
		await expect(
			readLocation(formatLocation(imapLocator, '2'), { graph: () => fakeProvider('', []) }),
		).rejects.toMatchObject({
			code: 'NO_CREDENTIAL',
			field: 'mailProviders',
		});
	});
});
