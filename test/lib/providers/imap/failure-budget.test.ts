import { MailIntelError } from '../../../../lib/errors';
import {
	bufferSink,
	type AttachmentSink,
	type BufferedAttachment,
} from '../../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { pollImap, type ImapTriggerState } from '../../../../lib/providers/imap/poll';
import { ImapProvider } from '../../../../lib/providers/imap/provider';
import { startDovecot, type DovecotServer } from '../../../imap/dovecot';
import { message } from './messages';
import { settingsFor } from './poll-helper';

/**
 * A binary data store that fails (n8n's disk full, S3 down) is not a property of the message:
 * against a real Dovecot, the message is not emitted that poll and arrives with its attachment
 * once the store works again; a store that fails for one message on every poll lets it through
 * after the retry budget, with the failure recorded, and never blocks the mailbox.
 */
let server: DovecotServer;
beforeAll(async () => {
	server = await startDovecot();
});
afterAll(async () => {
	await server?.stop();
});

const PDF = Buffer.from('%PDF-1.4\n%%EOF\n');

async function seed(mailbox: string): Promise<void> {
	await server.seed('alice', mailbox, [
		message({ subject: 'before' }),
		message({
			subject: 'with pdf',
			attachments: [{ filename: 'ioc.pdf', contentType: 'application/pdf', content: PDF }],
		}),
		message({ subject: 'after' }),
	]);
}

function poller(mailbox: string, sink: AttachmentSink<BufferedAttachment>, retryBudget = 5) {
	let state: ImapTriggerState | undefined;
	return async () => {
		const provider = new ImapProvider(settingsFor(server));
		try {
			const result = await pollImap(provider, state, {
				mailboxes: [mailbox],
				since: new Date(Date.now() - 86_400_000),
				maxItems: 100,
				policy: DEFAULT_POLICY,
				sink,
				rawSink: bufferSink,
				keepRaw: false,
				owner: `budget-${mailbox}`,
				retryBudget,
			});
			state = result.state;
			return result;
		} finally {
			await provider.close();
		}
	};
}

/** A store that fails while `down` is true, as n8n's binary data service would throw. */
function flakyStore() {
	const control = { down: true };
	const sink: AttachmentSink<BufferedAttachment> = Object.assign(
		async (...args: Parameters<AttachmentSink<BufferedAttachment>>) => {
			if (control.down) throw new Error('ENOSPC: no space left on device');
			return bufferSink(...args);
		},
		{
			fromBuffer: async (
				...args: Parameters<NonNullable<AttachmentSink<BufferedAttachment>['fromBuffer']>>
			) => {
				if (control.down) throw new Error('ENOSPC: no space left on device');
				return bufferSink.fromBuffer!(...args);
			},
		},
	);
	return { sink, control };
}

test('the binary store failing: the message waits (and what follows it), then arrives whole', async () => {
	const mailbox = 'Budget/Store';
	await seed(mailbox);
	const { sink, control } = flakyStore();
	const poll = poller(mailbox, sink);
	const first = await poll();
	expect(first.emails.map((e) => e.email.subject)).toEqual(['before']);
	expect(first.errors).toHaveLength(1);
	expect(first.errors[0].error).toBeInstanceOf(MailIntelError);
	expect(first.errors[0].error.retryable).toBe(true);

	control.down = false;
	const second = await poll();
	expect(second.errors).toEqual([]);
	expect(second.emails.map((e) => e.email.subject)).toEqual(['with pdf', 'after']);
	expect(second.emails[0].email.attachments[0]).toMatchObject({
		filename: 'ioc.pdf',
		binaryProperty: 'attachment_0',
	});
	expect((second.emails[0].attachments[0].stored as BufferedAttachment).data.equals(PDF)).toBe(
		true,
	);
	expect((await poll()).emails).toEqual([]);
});

test('a store failing for one message on every poll: after the retry budget it leaves with the failure recorded', async () => {
	const mailbox = 'Budget/Poison';
	await seed(mailbox);
	const { sink } = flakyStore();
	const poll = poller(mailbox, sink, 3);
	const subjects: string[] = [];
	for (let i = 1; i <= 3; i++) {
		const result = await poll();
		subjects.push(...result.emails.map((e) => e.email.subject));
		expect(result.errors).toHaveLength(i < 3 ? 1 : 0);
		if (i === 3) {
			const poisoned = result.emails.find((e) => e.email.subject === 'with pdf')!;
			expect(poisoned.email.attachments[0]).toMatchObject({
				filename: 'ioc.pdf',
				skipped: 'error',
				error: { code: 'RETRIES_EXHAUSTED' },
			});
			expect(poisoned.attachments).toEqual([]);
		}
	}
	expect(subjects).toEqual(['before', 'with pdf', 'after']);
});
