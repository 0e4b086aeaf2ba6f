import type { IBinaryData, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { sharedParseWorkers } from '../../lib/mail/parse-workers';
import {
	ImapProvider,
	imapIdentity,
	imapSource,
	readImapState,
	sharedImapPool,
} from '../../lib/providers/imap';
import { n8nBinarySink, toNodeItem } from '../shared/binary-sink';
import { toNodeError } from '../shared/errors';
import { runIngestPoll } from '../shared/ingest-poll';
import { imapSettingsFrom, triggerParameters, type TriggerOptionValues } from './parameters';

export const CREDENTIAL_NAME = 'emailIntelImapApi';

/**
 * One poll: the ingest core over every configured mailbox (nodes/shared/ingest-poll.ts says
 * how batches, state and errors reach n8n). "Fetch test event" (manual mode) shows the newest
 * message and never touches the state the active trigger uses.
 */
export async function pollTrigger(context: IPollFunctions): Promise<INodeExecutionData[][] | null> {
	const manual = context.getMode() === 'manual';
	let provider: ImapProvider | undefined;
	try {
		const parameters = triggerParameters(
			context.getNodeParameter('mailboxes', 'INBOX') as string,
			context.getNodeParameter('options', {}) as TriggerOptionValues,
			undefined,
			context.getNode().typeVersion,
		);
		const settings = imapSettingsFrom(await context.getCredentials(CREDENTIAL_NAME));
		// Polls reuse one logged-in connection per account: an empty poll is then a single STATUS.
		provider = new ImapProvider(settings, {
			search: parameters.search,
			pool: sharedImapPool(),
			parseWorkers: sharedParseWorkers(),
		});
		const sink = n8nBinarySink(context);
		if (manual)
			return await testEvent(context, provider, parameters.mailboxes, { ...parameters, sink });
		const source = { ...parameters, sink, rawSink: sink };
		const active = provider;
		// Handed over: runIngestPoll closes it when the poll (and its background drain) ends.
		provider = undefined;
		return await runIngestPoll(context, {
			label: 'Email Intel IMAP Trigger',
			identity: imapIdentity(settings),
			scopes: parameters.mailboxes,
			readState: (staticData) => readImapState(staticData, imapIdentity(settings)),
			sources: () => parameters.mailboxes.map((mailbox) => imapSource(active, mailbox, source)),
			toItem: (polled) => toNodeItem(context, polled),
			limit: parameters.maxItems,
			batchSize: parameters.batchSize,
			retryBudget: parameters.retryBudget,
			close: () => active.close(),
		});
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	} finally {
		await provider?.close();
	}
}

/** "Fetch test event": the newest message of the watched mailboxes; the cursors are left alone. */
async function testEvent(
	context: IPollFunctions,
	provider: ImapProvider,
	mailboxes: string[],
	options: {
		policy: ReturnType<typeof triggerParameters>['policy'];
		keepRaw: boolean;
		sink: ReturnType<typeof n8nBinarySink>;
	},
): Promise<INodeExecutionData[][] | null> {
	let newest: Awaited<ReturnType<ImapProvider['newest']>>;
	for (const mailbox of mailboxes) {
		const candidate = await provider.newest(mailbox);
		if (candidate && (!newest || (candidate.receivedAt ?? '') > (newest.receivedAt ?? '')))
			newest = candidate;
	}
	if (!newest) return null;
	for await (const fetched of provider.fetchMany<IBinaryData>(newest.mailbox, [newest], {
		...options,
		rawSink: options.sink,
	})) {
		return [[await toNodeItem(context, { ...fetched.parsed, raw: fetched.raw })]];
	}
	return null;
}
