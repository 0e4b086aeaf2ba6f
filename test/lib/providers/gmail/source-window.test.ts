import type { Readable } from 'node:stream';

import type { AttachmentInfo } from '../../../../lib/mail/types';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import { GmailProvider, gmailSource } from '../../../../lib/providers/gmail';
import { startFakeGmail, type FakeGmail } from '../../../fakes/gmail';
import { mail } from './mail';
import { clientFor, tokenJsonConfig } from './poll';

/**
 * The source's pipeline: downloads go on while earlier messages are still being parsed (a slot is
 * given back once the source is in memory), yet never more than `concurrency` downloads at once,
 * never more than twice that many messages held, and items still leave in order.
 */
let fake: FakeGmail;
beforeEach(async () => {
	fake = await startFakeGmail();
});
afterEach(() => fake.close());

test('parallel downloads stay at the configured number while parses lag; order kept', async () => {
	const ids = fake
		.addMessages(
			Array.from({ length: 12 }, (_, i) => ({ raw: mail(`m${i}`, { attachment: true }) })),
		)
		.map((message) => message.id);
	const provider = new GmailProvider({ client: clientFor(tokenJsonConfig(fake)), account: 'me' });
	// Count downloads from the request until their body has been read to its end.
	let downloading = 0;
	let maxDownloading = 0;
	const stream = provider.client.stream.bind(provider.client);
	provider.client.stream = async (request) => {
		downloading++;
		maxDownloading = Math.max(maxDownloading, downloading);
		const body = await stream(request);
		body.once('close', () => downloading--);
		return body;
	};
	// Parsing is slow: each attachment store waits until every message has been downloaded or
	// four messages are waiting, so four wait at once only if downloads go on meanwhile.
	let waiting = 0;
	let maxWaiting = 0;
	const release: Array<() => void> = [];
	const sink = async (info: AttachmentInfo, content: Readable | Buffer) => {
		if (!Buffer.isBuffer(content)) for await (const _chunk of content);
		waiting++;
		maxWaiting = Math.max(maxWaiting, waiting);
		await new Promise<void>((resolve) => {
			release.push(resolve);
			if (release.length >= 4 || fake.requests.length >= 12) release.splice(0).forEach((r) => r());
			// A pipeline that cannot gather four (parses holding the download slots) still ends.
			else setTimeout(() => release.splice(0).forEach((r) => r()), 100);
		});
		waiting--;
		return info.filename;
	};
	const source = gmailSource<string>(provider, {
		since: new Date(0),
		labels: ['INBOX'],
		policy: DEFAULT_POLICY,
		sink,
		concurrency: 2,
	});
	const summaries = ids.map((id) => ({
		provider: 'gmail' as const,
		account: 'me',
		mailbox: 'INBOX',
		id,
	}));
	const built: string[] = [];
	for await (const processed of source.build(summaries, { recordTransientFailures: () => false }))
		built.push(processed.item!.email.subject!);
	expect(built).toEqual(ids.map((_, i) => `m${i}`));
	expect(maxDownloading).toBeLessThanOrEqual(2);
	// More messages parsing at once than download slots: the slots were given back before the parses ended.
	expect(maxWaiting).toBeGreaterThan(2);
	expect(maxWaiting).toBeLessThanOrEqual(4);
});
