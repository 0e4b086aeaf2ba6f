import { createHash } from 'node:crypto';

import { bufferSink, type BufferedAttachment } from '../../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { GmailProvider, IN_MEMORY_BYTES } from '../../../../lib/providers/gmail';
import { file, message, multipart, text } from '../../../fixtures/mime-factory';
import { startFakeGmail, type FakeGmail } from '../../../fakes/gmail';
import { clientFor, tokenJsonConfig } from './poll';

/** One message downloaded format=raw: small ones parsed from memory, large ones streamed; raw kept on request. */
describe('GmailProvider.fetchMessage', () => {
	let fake: FakeGmail;
	beforeEach(async () => {
		fake = await startFakeGmail();
	});
	afterEach(() => fake.close());

	const withPdf = (size: number) => {
		const pdf = Buffer.alloc(size, 0x41);
		pdf.write('%PDF-1.4\n');
		return {
			pdf,
			raw: message(
				{
					From: 'a@example.net',
					To: 'soc@example.com',
					Subject: `pdf of ${size}`,
					Date: new Date().toUTCString(),
				},
				multipart('mixed', 'b1', [
					text('see attached'),
					file({
						contentType: 'application/pdf',
						data: pdf,
						disposition: 'attachment; filename="big.pdf"',
					}),
				]),
			),
		};
	};

	it.each([
		['parsed from memory', 10_000],
		['streamed into the parser', 3 * IN_MEMORY_BYTES],
	])(
		'%s: the attachment whole (sha256), labels and raw source exactly as Gmail holds it',
		async (_how, size) => {
			const { pdf, raw } = withPdf(size);
			const stored = fake.addMessage({ raw, labelIds: ['INBOX', 'Label_9'] });
			const provider = new GmailProvider({
				client: clientFor(tokenJsonConfig(fake)),
				account: 'me',
			});
			const fetched = await provider.fetchMessage<BufferedAttachment>(
				{ provider: 'gmail', account: 'me', mailbox: 'INBOX', id: stored.id },
				{
					policy: { ...DEFAULT_POLICY, maxAttachmentBytes: 10 * IN_MEMORY_BYTES },
					sink: bufferSink,
					rawSink: bufferSink,
					keepRaw: true,
				},
			);
			expect(fetched.parsed.email).toMatchObject({
				subject: `pdf of ${size}`,
				labels: ['INBOX', 'Label_9'],
				size: raw.length,
				attachments: [
					expect.objectContaining({
						filename: 'big.pdf',
						size,
						sha256: createHash('sha256').update(pdf).digest('hex'),
					}),
				],
			});
			expect(fetched.raw?.data.equals(raw)).toBe(true);
		},
	);
});
