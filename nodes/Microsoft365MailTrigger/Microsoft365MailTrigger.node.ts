import {
	NodeConnectionTypes,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { cancelRenewals } from '../../lib/providers/graph';
import { clearOwner } from '../../lib/state/registry';
import { toNodeError } from '../shared/errors';
import { lockPrefixOf, openSession, testGraphCredential } from '../shared/microsoft365/core';
import { mailboxProperties, webhookTriggerOptions } from '../shared/microsoft365/description';
import { reportUndeleted, startRenewals } from './renewals';
import { handleNotification } from './webhook';

/**
 * Microsoft 365 mail, pushed: Graph change notifications wake the node, and a delta query per
 * folder decides what is new (notifications get dropped, duplicated and reordered; the delta
 * link does not). Subscriptions are created on activation, renewed by an hourly schedule the
 * activation owns (and whenever the node runs) once less than 24 h is left, recreated when
 * Graph removes them, deleted on deactivation.
 */
export class Microsoft365MailTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft 365 Mail Trigger',
		name: 'microsoft365MailTrigger',
		icon: {
			light: 'file:../../icons/microsoft365-mail.svg',
			dark: 'file:../../icons/microsoft365-mail.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["mailboxes"].split("\\n")[0]}}',
		description:
			'Starts the workflow when email arrives in Microsoft 365 mailboxes (Graph change notifications + delta query)',
		defaults: { name: 'Microsoft 365 Mail Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'microsoftGraphAppApi', required: true, testedBy: 'microsoftGraphAppApiTest' },
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'graph',
			},
		],
		properties: [
			{
				displayName:
					'Graph must reach this n8n over public https (the production webhook URL). If it cannot, use the Microsoft 365 Mail Poll Trigger instead.',
				name: 'reachabilityNotice',
				type: 'notice',
				default: '',
			},
			...mailboxProperties,
			webhookTriggerOptions,
		],
	};

	methods = {
		credentialTest: { microsoftGraphAppApiTest: testGraphCredential },
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const url = this.getNodeWebhookUrl('default') as string;
				const session = await openSession(this);
				try {
					const state = session.prepareState(this.getWorkflowStaticData('node'));
					if (!(await session.subscriptionsExist(state, url))) return false;
					await session.renewDue(state, url);
					startRenewals(this);
					return true;
				} catch (error) {
					throw toNodeError(this.getNode(), error);
				} finally {
					session.close();
				}
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const session = await openSession(this);
				try {
					const state = session.prepareState(this.getWorkflowStaticData('node'));
					// Graph POSTs a validation token to the URL before it answers; webhook() echoes it.
					await session.createSubscriptions(state, this.getNodeWebhookUrl('default') as string);
					startRenewals(this);
					return true;
				} catch (error) {
					throw toNodeError(this.getNode(), error);
				} finally {
					session.close();
				}
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				// First the schedule, and any renewal in flight: a PATCH after the DELETE would
				// find the subscription gone and create a new one.
				await cancelRenewals(lockPrefixOf(this));
				const session = await openSession(this);
				try {
					const undeleted = await session.deleteSubscriptions(
						session.prepareState(this.getWorkflowStaticData('node')),
					);
					reportUndeleted(this, undeleted);
					return undeleted.length === 0;
				} catch (error) {
					this.logger.warn(`Could not delete Graph subscriptions: ${(error as Error).message}`);
					return false;
				} finally {
					session.close();
					// Deactivated: nothing this node kept in process memory may outlive it.
					clearOwner(lockPrefixOf(this));
				}
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return handleNotification(this);
	}
}
