import type { IBinaryData, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { sharedParseWorkers } from '../../lib/mail/parse-workers';
import {
	GmailClient,
	GmailProvider,
	gmailIdentity,
	gmailSource,
	gmailTokens,
	gmailUser,
	readGmailState,
	type GmailClientOptions,
	type GmailConfig,
} from '../../lib/providers/gmail';
import { n8nBinarySink, toNodeItem } from '../shared/binary-sink';
import { toNodeError } from '../shared/errors';
import { runIngestPoll } from '../shared/ingest-poll';
import {
	TOKEN_JSON_OR_SERVICE_ACCOUNT,
	SIGN_IN_WITH_GOOGLE,
	gmailConfigFrom,
	gmailParameters,
	type GmailOptionValues,
} from './parameters';

/** The provider for one run of the node (a poll, a credential test). */
export function openGmail(
	config: GmailConfig,
	options: { query?: string; onThrottle?: GmailClientOptions['onThrottle'] } = {},
): GmailProvider {
	const user = gmailUser(config);
	return new GmailProvider({
		client: new GmailClient({
			apiBaseUrl: config.apiBaseUrl,
			user,
			tokens: gmailTokens(config),
			...(options.onThrottle ? { onThrottle: options.onThrottle } : {}),
		}),
		account: user,
		parseWorkers: sharedParseWorkers(),
		...(options.query ? { query: options.query } : {}),
	});
}

/**
 * One poll: the ingest core over the mailbox (nodes/shared/ingest-poll.ts says how batches,
 * state and errors reach n8n). "Fetch test event" (manual mode) shows the newest watched
 * message and never touches the state the active trigger uses.
 */
export async function pollTrigger(context: IPollFunctions): Promise<INodeExecutionData[][] | null> {
	let provider: GmailProvider | undefined;
	try {
		const authentication = context.getNodeParameter('authentication', 'oAuth2') as string;
		const parameters = gmailParameters(
			context.getNodeParameter('labels', 'INBOX') as string,
			context.getNodeParameter('options', {}) as GmailOptionValues,
		);
		const config = gmailConfigFrom(
			authentication,
			await context.getCredentials(
				authentication === 'oAuth2' ? SIGN_IN_WITH_GOOGLE : TOKEN_JSON_OR_SERVICE_ACCOUNT,
			),
		);
		provider = openGmail(config, {
			...(parameters.query ? { query: parameters.query } : {}),
			onThrottle: (info) =>
				context.logger.warn(
					`Gmail answered ${info.status} (quota); waiting ${info.waitMs} ms before retrying ${info.path}`,
				),
		});
		const sink = n8nBinarySink(context);
		const source = gmailSource<IBinaryData>(provider, {
			since: parameters.since,
			labels: parameters.labels,
			policy: parameters.policy,
			sink,
			rawSink: sink,
			keepRaw: parameters.keepRaw,
			concurrency: parameters.concurrency,
		});
		if (context.getMode() === 'manual')
			return await testEvent(context, provider, parameters.labels, source);
		const identity = gmailIdentity(config);
		const active = provider;
		// Handed over: runIngestPoll closes it when the poll (and its background drain) ends.
		provider = undefined;
		return await runIngestPoll(context, {
			label: 'Email Intel Gmail Trigger',
			identity,
			scopes: [source.scope],
			readState: (staticData) => readGmailState(staticData),
			sources: () => [source],
			toItem: (item) => toNodeItem(context, item, { rawFileName: `${item.email.id}.eml` }),
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

/** "Fetch test event": the newest message of the watched labels; no cursor is read or written. */
async function testEvent(
	context: IPollFunctions,
	provider: GmailProvider,
	labels: string[],
	source: ReturnType<typeof gmailSource<IBinaryData>>,
): Promise<INodeExecutionData[][] | null> {
	const page = await provider.client.json<{ messages?: Array<{ id: string }> }>({
		path: 'messages',
		query: { maxResults: 1, labelIds: labels.length === 1 ? labels[0] : undefined },
	});
	const newest = page.messages?.[0];
	if (!newest) return null;
	const summary = {
		provider: 'gmail' as const,
		account: provider.account,
		mailbox: labels[0] ?? 'ALL',
		id: newest.id,
	};
	for await (const processed of source.build([summary], { recordTransientFailures: () => true }))
		if (processed.item) return [[await toNodeItem(context, processed.item)]];
	return null;
}
