import { file, message, multipart, text } from '../../../fixtures/mime-factory';

let counter = 0;

/** A small RFC 822 message with a unique Message-ID and subject; optionally a PDF attached. */
export function mail(subject: string, options: { date?: Date; attachment?: boolean } = {}): Buffer {
	counter++;
	const envelope = {
		From: 'Alerts <alerts@example.net>',
		To: 'soc@example.com',
		Subject: subject,
		Date: (options.date ?? new Date()).toUTCString().replace('GMT', '+0000'),
		'Message-ID': `<gmail-test-${counter}-${Date.now()}@example.net>`,
	};
	if (!options.attachment) return message(envelope, text(`body of ${subject}`));
	return message(
		envelope,
		multipart('mixed', `b${counter}`, [
			text(`body of ${subject}`),
			file({
				contentType: 'application/pdf',
				data: Buffer.from('%PDF-1.4 fake'),
				disposition: 'attachment; filename="report.pdf"',
			}),
		]),
	);
}
