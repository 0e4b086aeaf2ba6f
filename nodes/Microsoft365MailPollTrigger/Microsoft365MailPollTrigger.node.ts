import {
	NodeConnectionTypes,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import type { GraphTriggerState } from '../../lib/providers/graph';
import {
	collectItems,
	openSession,
	testGraphCredential,
} from '../Microsoft365MailTrigger/shared/core';
import { mailboxProperties, triggerOptions } from '../Microsoft365MailTrigger/shared/description';
import { toNodeError } from '../shared/errors';

/**
 * Microsoft 365 mail, polled: a delta pass per folder on every poll, for n8n instances Graph
 * cannot reach. A separate node type because n8n runs a node that has `poll` as a poller in
 * every mode: its webhook() output would be replaced by a second poll() (see README).
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
		const state = this.getWorkflowStaticData('node') as GraphTriggerState;
		const firstRun = !state.folders || Object.keys(state.folders).length === 0;
		let session;
		try {
			session = await openSession(this);
			const items = await collectItems(this, session, state);
			return items.length > 0 ? [items] : null;
		} catch (error) {
			// Trigger error policy (STYLE.md §12): throw when a person is watching (manual run, first
			// run); otherwise the cursor stays where it was and the next poll retries.
			if (this.getMode() === 'manual' || firstRun) throw toNodeError(this.getNode(), error);
			this.logger.error(
				`Microsoft 365 Mail Poll Trigger: ${(error as Error).message}; the next poll retries`,
			);
			return null;
		} finally {
			session?.close();
		}
	}
}
