/**
 * The IMAP rewrite streams: removing a 100 MB attachment costs a bounded amount of memory, not
 * the size of the message. Prints one JSON line.
 *
 * p9_rewrite_heap_mb — the largest growth of heapUsed + arrayBuffers (JS heap and Buffers: all
 *   the memory the rewrite's own data can take) over the level before the run, sampled every
 *   10 ms while a real Dovecot message with text, HTML and a 100 MB attachment is downloaded,
 *   rewritten without the attachment, appended and the original deleted. Goal < 64.
 * p9_rewrite_heapused_mb — the same for heapUsed alone.
 * p9_rewrite_source_mb — the size of the original message (what a non-streamed rewrite would hold).
 * p9_rewrite_output_kb — the size of the rewritten message as stored.
 * p9_rewrite_seconds — wall time of that remediation (informational: the machine is shared).
 */
import { randomBytes } from 'node:crypto';

import { formatLocator } from '../../lib/mail/locator';
import { ImapRemediator } from '../../lib/providers/imap/remediate';
import { ImapSession } from '../../lib/providers/imap/session';
import { base64Lines, file, html, message, multipart, text } from '../fixtures/mime-factory';
import { startDovecot } from '../imap/dovecot';
import { measureRewrite } from './rewrite-memory';

const MB = 1024 * 1024;
/** 100 MB; REMEDIATION_BENCH_MB sets another size (a quick check of the benchmark itself). */
const ATTACHMENT_BYTES = Number(process.env.REMEDIATION_BENCH_MB ?? 100) * MB;
const log = (line: string) => process.stderr.write(`${line}\n`);

function bigMessage(): Buffer {
	const data = randomBytes(ATTACHMENT_BYTES);
	const attachment = file({
		contentType: 'application/octet-stream',
		data: Buffer.alloc(0),
		disposition: 'attachment; filename="payload.bin"',
	});
	attachment.body = base64Lines(data);
	return message(
		{
			From: 'mallory@evil.example',
			To: 'alice@example.org',
			Subject: 'Large payload',
			Date: 'Tue, 01 Dec 2026 09:30:00 +0000',
			'Message-ID': '<bench-remediation@evil.example>',
		},
		multipart('mixed', 'bench-outer', [
			multipart('alternative', 'bench-alt', [
				text('Open the file.'),
				html('<html><body><p>Open the file.</p></body></html>'),
			]),
			attachment,
		]),
	);
}

void (async () => {
	const server = await startDovecot();
	try {
		let source: Buffer | undefined = bigMessage();
		const sourceMb = source.length / MB;
		const [uid] = await server.seed('alice', 'INBOX', [source]);
		source = undefined;
		const settings = {
			host: server.host,
			port: server.port,
			security: 'none' as const,
			user: 'alice',
			auth: { method: 'password' as const, password: server.users.alice },
		};
		const session = new ImapSession(settings);
		const remediator = new ImapRemediator(session, { host: server.host, port: server.port });
		const status = await session.status('INBOX');
		const locator = formatLocator(
			{
				provider: 'imap',
				account: 'alice',
				mailbox: 'INBOX',
				uid,
				uidValidity: status.uidValidity,
				id: '',
			},
			server,
		);
		const { seconds, growth, heapUsedGrowth } = await measureRewrite(
			remediator,
			locator,
			ATTACHMENT_BYTES,
		);
		const client = await session.client();
		const lock = await client.getMailboxLock('INBOX');
		let outputBytes = 0;
		try {
			const stored = await client.fetchOne('*', { size: true });
			outputBytes = stored ? (stored.size ?? 0) : 0;
			if (client.mailbox && client.mailbox.exists !== 1)
				throw new Error(`expected one message in INBOX, found ${client.mailbox.exists}`);
		} finally {
			lock.release();
		}
		await remediator.close();
		const round1 = (value: number) => Math.round(value * 10) / 10;
		const figures = {
			p9_rewrite_heap_mb: round1(growth / MB),
			p9_rewrite_heapused_mb: round1(heapUsedGrowth / MB),
			p9_rewrite_source_mb: round1(sourceMb),
			p9_rewrite_output_kb: round1(outputBytes / 1024),
			p9_rewrite_seconds: round1(seconds),
		};
		log(
			`rewrote a ${figures.p9_rewrite_source_mb} MB message in ${figures.p9_rewrite_seconds} s; memory grew by at most ${figures.p9_rewrite_heap_mb} MB`,
		);
		console.log(JSON.stringify(figures));
	} finally {
		await server.stop();
	}
})().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
