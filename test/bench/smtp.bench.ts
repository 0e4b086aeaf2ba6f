/**
 * Sending through a real Postfix (STARTTLS, SASL via Dovecot) that delivers into a real Dovecot.
 * - `smtp_send_vs_bound`: time per message of our sendEmail (compose, build, cleartext check,
 *   login, submit; no Sent copy) ÷ nodemailer's own sendMail of the same message with the same
 *   transport options (one connection per message in both), same run. Goal ≤ 1.1.
 * - `smtp_streamed_growth_mb`: peak memory growth (V8 heap + Buffers, sampled every 2 ms, no
 *   forced GC, so uncollected garbage counts) while sending one 20 MB attachment without a Sent
 *   copy (written straight into the socket).
 * - `smtp_buffered_growth_mb`: the same with a Sent copy (the message held for SMTP and APPEND),
 *   for comparison: the encoded message is about 27 MB.
 */
import { Readable } from 'node:stream';

import { createTransport } from 'nodemailer';

import { ImapSession } from '../../lib/providers/imap/session';
import { composeMessage, type ComposeInput } from '../../lib/smtp/compose';
import { sendEmail } from '../../lib/smtp/send';
import type { SmtpSettings } from '../../lib/smtp/settings';
import { smtpTransportOptions } from '../../lib/smtp/transport';
import { startDovecot } from '../imap/dovecot';
import { startPostfix } from '../mta/postfix';

const MESSAGES = 40;
const BIG_BYTES = 20 * 1024 * 1024;
const ALICE = 'alice@mail.test';
const BOB = 'bob@mail.test';

function message(subject: string, attachmentBytes = 0): ComposeInput {
	return {
		action: 'send',
		from: { name: 'Alice', address: ALICE },
		to: [BOB],
		cc: [],
		bcc: [],
		subject,
		text: 'A short report.\n'.repeat(50),
		attachments: attachmentBytes
			? [
					{
						filename: 'big.bin',
						contentType: 'application/octet-stream',
						open: async () =>
							Readable.from(
								(function* () {
									for (let offset = 0; offset < attachmentBytes; offset += 64 * 1024)
										yield Buffer.alloc(Math.min(64 * 1024, attachmentBytes - offset), 7);
								})(),
							),
					},
				]
			: [],
		self: [ALICE],
	};
}

function memory(): number {
	const usage = process.memoryUsage();
	return usage.heapUsed + usage.arrayBuffers;
}

async function peakGrowth(work: () => Promise<unknown>): Promise<number> {
	global.gc?.();
	const before = memory();
	let peak = before;
	const sampler = setInterval(() => (peak = Math.max(peak, memory())), 2);
	try {
		await work();
	} finally {
		clearInterval(sampler);
	}
	peak = Math.max(peak, memory());
	return (peak - before) / 1024 / 1024;
}

void (async () => {
	const dovecot = await startDovecot({
		mta: true,
		users: { [ALICE]: 'alicepass', [BOB]: 'bobpass' },
	});
	const postfix = await startPostfix(dovecot);
	const imap = new ImapSession({
		host: dovecot.host,
		port: dovecot.port,
		security: 'starttls',
		caCertificate: dovecot.certPem,
		user: ALICE,
		auth: { method: 'password', password: 'alicepass' },
	});
	try {
		const smtp: SmtpSettings = {
			host: postfix.host,
			port: postfix.submissionPort,
			security: 'starttls',
			caCertificate: dovecot.certPem,
			user: ALICE,
			auth: { method: 'password', password: 'alicepass' },
		};
		const ours = async (subject: string) =>
			sendEmail(message(subject), { smtp, saveToSent: false, markOriginal: false });
		const bound = async (subject: string) => {
			const composed = composeMessage(message(subject));
			const transport = createTransport(smtpTransportOptions(smtp, { pass: 'alicepass' }));
			try {
				await transport.sendMail({ ...composed.mail, envelope: composed.envelope });
			} finally {
				transport.close();
			}
		};
		await ours('warm-up');
		await bound('warm-up');
		let oursMs = 0;
		let boundMs = 0;
		// taking turns, so a load change on the shared machine hits both alike
		for (let n = 0; n < MESSAGES; n++) {
			let started = process.hrtime.bigint();
			await ours(`ours ${n}`);
			oursMs += Number(process.hrtime.bigint() - started) / 1e6;
			started = process.hrtime.bigint();
			await bound(`bound ${n}`);
			boundMs += Number(process.hrtime.bigint() - started) / 1e6;
		}
		const streamed = await peakGrowth(() =>
			sendEmail(message('big streamed', BIG_BYTES), {
				smtp,
				saveToSent: false,
				markOriginal: false,
				maxMessageBytes: 64 * 1024 * 1024,
			}),
		);
		const buffered = await peakGrowth(() =>
			sendEmail(message('big with Sent copy', BIG_BYTES), {
				smtp,
				imap,
				saveToSent: true,
				markOriginal: false,
				maxMessageBytes: 64 * 1024 * 1024,
			}),
		);
		await postfix.waitForEmptyQueue();
		const round2 = (value: number) => Math.round(value * 100) / 100;
		const figures = {
			smtp_send_vs_bound: round2(oursMs / boundMs),
			smtp_ms_per_message: round2(oursMs / MESSAGES),
			smtp_bound_ms_per_message: round2(boundMs / MESSAGES),
			smtp_streamed_growth_mb: round2(streamed),
			smtp_buffered_growth_mb: round2(buffered),
		};
		console.error(
			`${MESSAGES} messages each: ours ${figures.smtp_ms_per_message} ms, nodemailer alone ${figures.smtp_bound_ms_per_message} ms; 20 MB attachment: +${figures.smtp_streamed_growth_mb} MB streamed, +${figures.smtp_buffered_growth_mb} MB with a Sent copy`,
		);
		console.log(JSON.stringify(figures));
	} finally {
		await imap.close();
		await postfix.stop();
		await dovecot.stop();
	}
})().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
