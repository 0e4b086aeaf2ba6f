import {
	NodeConnectionTypes,
	type IBinaryData,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { DEFAULT_RETRY_BUDGET } from '../../lib/ingest/core';
import { readGraphState, scopeKey, type GraphMailSession } from '../../lib/providers/graph';
import { toNodeItem } from '../shared/binary-sink';
import { toNodeError } from '../shared/errors';
import { runIngestPoll } from '../shared/ingest-poll';
import { openSession, testGraphCredential } from '../shared/microsoft365/core';
import { mailboxProperties, triggerOptions } from '../shared/microsoft365/description';

/**
 * Microsoft 365 mail, polled: a delta pass per folder on every poll through the ingest core,
 * for n8n instances Graph cannot reach. A separate node type because n8n runs a node that has
 * `poll` as a poller in every mode: its webhook() output would be replaced by a second poll()
 * (see README).
 */
export class Microsoft365MailPollTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft 365 Mail Poll Trigger',
		name: 'microsoft365MailPollTrigger',
		icon: {
			light: 'file:../../icons/microsoft365-mail.svg',
			dark: 'file:../../icons/microsoft365-mail.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["mailboxes"].split("\\n")[0]}}',
		description: 'Polls Microsoft 365 mailboxes for new email with the Graph delta query',
		defaults: { name: 'Microsoft 365 Mail Poll Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'microsoftGraphAppApi', required: true, testedBy: 'microsoftGraphAppApiTest' },
		],
		properties: [...mailboxProperties, triggerOptions],
	};

	methods = {
		credentialTest: { microsoftGraphAppApiTest: testGraphCredential },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		let session: GraphMailSession<IBinaryData> | undefined;
		try {
			session = await openSession(this);
			if (this.getMode() === 'manual') return await testEvent(this, session);
			const active = session;
			const maxPerFolder = (this.getNodeParameter('options', {}) as { maxItemsPerRun?: number })
				.maxItemsPerRun;
			return await runIngestPoll(this, {
				label: 'Microsoft 365 Mail Poll Trigger',
				identity: session.identity,
				scopes: session.scopes.map(scopeKey),
				readState: (staticData) => readGraphState(staticData, active.identity),
				sources: () => active.scopes.map((scope) => active.source(scope)),
				toItem: (parsed) => toNodeItem(this, parsed),
				limit: (maxPerFolder ?? 500) * session.scopes.length,
				retryBudget: DEFAULT_RETRY_BUDGET,
			});
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		} finally {
			session?.close();
		}
	}
}

/** "Fetch test event": the newest message of the watched folders; the delta cursors are left alone. */
async function testEvent(
	context: IPollFunctions,
	session: GraphMailSession<IBinaryData>,
): Promise<INodeExecutionData[][] | null> {
	const found = [];
	for (const scope of session.scopes) {
		const newest = await session.provider(scope.upn).newest(scope.folder);
		if (newest) found.push({ scope, newest });
	}
	found.sort((a, b) => (b.newest.receivedAt ?? '').localeCompare(a.newest.receivedAt ?? ''));
	const first = found[0];
	if (!first) return null;
	const source = session.source(first.scope);
	for await (const processed of source.build([first.newest], {
		recordTransientFailures: () => true,
	}))
		if (processed.item) return [[await toNodeItem(context, processed.item)]];
	return null;
}
