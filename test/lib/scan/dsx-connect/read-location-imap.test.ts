import { createHash } from 'node:crypto';

import { formatLocator } from '../../../../lib/mail/locator';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { ImapProvider } from '../../../../lib/providers/imap';
import { formatLocation } from '../../../../lib/scan/dsx-connect/location';
import { readLocation } from '../../../../lib/scan/dsx-connect/read-location';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { EICAR } from '../../../fakes/dsx-connect';
import { settingsFor } from '../../providers/imap/poll-helper';

/**
 * read_file's IMAP path against a real Dovecot: the attachment id the trigger puts on the item
 * and the item's locator make a location that streams back exactly the attachment's bytes.
 */
let server: DovecotServer;

beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
});

test('a location built from a fetched item streams the decoded attachment from Dovecot', async () => {
	const payload = Buffer.concat([Buffer.from(`${EICAR}\n`), Buffer.alloc(300_000, 0x41)]);
	const raw = [
		'From: a@example.com',
		'To: alice@example.com',
		'Subject: sample',
		'MIME-Version: 1.0',
		'Content-Type: multipart/mixed; boundary="b1"',
		'',
		'--b1',
		'Content-Type: text/plain',
		'',
		'see attached',
		'--b1',
		'Content-Type: application/octet-stream; name="invoice.exe"',
		'Content-Disposition: attachment; filename="invoice.exe"',
		'Content-Transfer-Encoding: base64',
		'',
		...(payload.toString('base64').match(/.{1,76}/g) ?? []),
		'--b1--',
		'',
	].join('\r\n');
	const [uid] = await server.seed('alice', 'INBOX', [raw]);
	const settings = settingsFor(server);
	const reader = new ImapProvider(settings);
	let locator: string;
	let attachmentId: string;
	try {
		const status = await reader.status('INBOX');
		const ref = {
			provider: 'imap' as const,
			account: 'alice',
			mailbox: 'INBOX',
			uid,
			uidValidity: String(status.uidValidity),
			id: `${status.uidValidity}:${uid}`,
		};
		const parsed = await reader.fetch(ref, { ...DEFAULT_POLICY, mimeTypes: ['*/*'] });
		const attachment = parsed.email.attachments.find((a) => a.filename === 'invoice.exe')!;
		attachmentId = attachment.id;
		locator = formatLocator(ref, { host: settings.host, port: settings.port });
	} finally {
		await reader.close();
	}

	let closed = 0;
	const opened = await readLocation(formatLocation(locator, attachmentId), {
		imap: () => {
			const provider = new ImapProvider(settings);
			return {
				attachment: (r, id) => provider.attachment(r, id),
				close: async () => {
					closed++;
					await provider.close();
				},
			};
		},
	});
	const hash = createHash('sha256');
	let size = 0;
	for await (const chunk of opened.stream) {
		hash.update(chunk as Buffer);
		size += (chunk as Buffer).length;
	}
	await opened.release();
	expect(attachmentId).toBe('2');
	expect(size).toBe(payload.length);
	expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
	expect(closed).toBe(1);
});
