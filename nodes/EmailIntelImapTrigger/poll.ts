import type { IBinaryData, IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import {
	ImapProvider,
	pollImap,
	sharedImapPool,
	type ImapTriggerState,
} from '../../lib/providers/imap';
import { sharedParseWorkers } from '../../lib/mail/parse-workers';
import { n8nBinarySink, toNodeItem } from '../shared/binary-sink';
import { toNodeError } from '../shared/errors';
import { imapSettingsFrom, triggerParameters, type TriggerOptionValues } from './parameters';

export const CREDENTIAL_NAME = 'emailIntelImapApi';

/**
 * Static data of this node (`getWorkflowStaticData('node')`): exactly the ImapTriggerState,
 * one cursor per mailbox. Read defensively: it is JSON from n8n's database.
 */
function readState(staticData: IDataObject): ImapTriggerState | undefined {
	const mailboxes = staticData.mailboxes;
	if (staticData.version !== 1 || !mailboxes || typeof mailboxes !== 'object') return undefined;
	return { version: 1, mailboxes: mailboxes as ImapTriggerState['mailboxes'] };
}

function writeState(staticData: IDataObject, state: ImapTriggerState): void {
	staticData.version = state.version;
	staticData.mailboxes = state.mailboxes as unknown as IDataObject;
}

/**
 * One poll. The new cursors are written to static data before the items are returned
 * (DESIGN.md §3); a mailbox that failed keeps its old cursor and is retried next poll.
 * Errors: thrown in manual mode and on the first run, otherwise logged (STYLE.md §12).
 */
export async function pollTrigger(context: IPollFunctions): Promise<INodeExecutionData[][] | null> {
	const node = context.getNode();
	const manual = context.getMode() === 'manual';
	const staticData = context.getWorkflowStaticData('node');
	const previous = readState(staticData);
	let provider: ImapProvider | undefined;
	try {
		const parameters = triggerParameters(
			context.getNodeParameter('mailboxes', 'INBOX') as string,
			context.getNodeParameter('options', {}) as TriggerOptionValues,
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

		const result = await pollImap(provider, previous, {
			mailboxes: parameters.mailboxes,
			since: parameters.since,
			maxItems: parameters.maxItems,
			policy: parameters.policy,
			keepRaw: parameters.keepRaw,
			sink,
			rawSink: sink,
		});
		if (result.errors.length > 0 && !previous) throw result.errors[0].error;
		writeState(staticData, result.state);
		for (const { mailbox, error } of result.errors) {
			context.logger.error(
				`Email Intel IMAP Trigger: mailbox "${mailbox}": ${error.message}; the next poll retries from the same place`,
				{
					code: error.code,
					field: error.field,
				},
			);
		}
		if (result.emails.length === 0) return null;
		return [
			await Promise.all(result.emails.map(async (polled) => await toNodeItem(context, polled))),
		];
	} catch (error) {
		if (manual || !previous) throw toNodeError(node, error);
		context.logger.error(
			`Email Intel IMAP Trigger: ${(error as Error).message}; the next poll retries from the same place`,
		);
		return null;
	} finally {
		await provider?.close();
	}
}

/** "Fetch test event": the newest message of the watched mailboxes; the cursors are left alone. */
async function testEvent(
	context: IPollFunctions,
	provider: ImapProvider,
	mailboxes: string[],
	options: Pick<Parameters<typeof pollImap<IBinaryData>>[2], 'policy' | 'keepRaw' | 'sink'>,
): Promise<INodeExecutionData[][] | null> {
	let newest: Awaited<ReturnType<ImapProvider['newest']>>;
	for (const mailbox of mailboxes) {
		const candidate = await provider.newest(mailbox);
		if (candidate && (!newest || (candidate.receivedAt ?? '') > (newest.receivedAt ?? '')))
			newest = candidate;
	}
	if (!newest) return null;
	for await (const fetched of provider.fetchMany(newest.mailbox, [newest], {
		...options,
		rawSink: options.sink,
	})) {
		return [[await toNodeItem(context, { ...fetched.parsed, raw: fetched.raw })]];
	}
	return null;
}
