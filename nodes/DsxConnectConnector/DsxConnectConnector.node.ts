import {
	NodeConnectionTypes,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import {
	enrollmentOf,
	forgetConnector,
	heartbeatRunning,
	startHeartbeat,
} from '../../lib/scan/dsx-connect/enrollment';
import { errorMessage } from '../../lib/errors';
import { clearOwner } from '../../lib/state/registry';
import { DSX_CONNECT_CREDENTIAL, dsxConnectClientFrom } from '../shared/dsx-connect/client';
import { toNodeError } from '../shared/errors';
import { testImapCredential } from '../shared/imap-credential';
import { testGraphCredential } from '../shared/microsoft365/core';
import { enrollNow } from './activation';
import {
	ITEM_ACTION_PATH,
	ITEM_ACTION_WEBHOOK,
	properties,
	READ_FILE_PATH,
	READ_FILE_WEBHOOK,
} from './description';
import { verifyInbound } from './inbound';
import { itemAction } from './item-action';
import { ownerOf } from './owner';
import { readFile } from './read-file';

/**
 * n8n as a dsx-connect connector (Deep Instinct). Activation registers the connector with the
 * enrollment token and keeps the HMAC key it gets in memory; a heartbeat re-registers every
 * 60 s. dsx-connect then calls two webhooks, both DSX-HMAC signed: `read_file` (this node
 * streams the attachment a location names from IMAP or Microsoft 365; no execution) and, for a
 * Malicious file, `item_action` (an execution with the message's locator, to remediate). Any
 * call that is unsigned, tampered with, older than 60 s or replayed is answered 401 and runs
 * nothing.
 */
export class DsxConnectConnector implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'DSX Connect Connector',
		name: 'dsxConnectConnector',
		icon: {
			light: 'file:../../icons/dsx-connect.svg',
			dark: 'file:../../icons/dsx-connect.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: '={{"reads " + $parameter["mailProviders"]}}',
		description:
			'Serves dsx-connect as a connector: streams attachments to scan, starts the workflow when one is Malicious',
		defaults: { name: 'DSX Connect Connector' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'dsxConnectApi', required: true },
			{
				name: 'emailIntelImapApi',
				required: true,
				testedBy: 'emailIntelImapApiTest',
				displayOptions: { show: { mailProviders: ['imap', 'both'] } },
			},
			{
				name: 'microsoftGraphAppApi',
				required: true,
				testedBy: 'microsoftGraphAppApiTest',
				displayOptions: { show: { mailProviders: ['graph', 'both'] } },
			},
		],
		webhooks: [
			{
				name: ITEM_ACTION_WEBHOOK,
				httpMethod: 'PUT',
				responseMode: '={{$parameter["respond"]}}',
				responseData: 'firstEntryJson',
				path: ITEM_ACTION_PATH,
			},
			{
				name: READ_FILE_WEBHOOK,
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: READ_FILE_PATH,
			},
		],
		properties,
	};

	// n8n runs a credential's test through any node that lists it: the mailbox credentials read here are tested as on the triggers.
	methods = {
		credentialTest: {
			emailIntelImapApiTest: testImapCredential,
			microsoftGraphAppApiTest: testGraphCredential,
		},
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const owner = ownerOf(this);
				return enrollmentOf(owner) !== undefined && heartbeatRunning(owner);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const owner = ownerOf(this);
				try {
					const enrolled = await enrollNow(this);
					startHeartbeat(owner, async () => {
						try {
							await enrollNow(this);
						} catch (error) {
							this.logger.warn(
								`DSX Connect Connector: heartbeat registration with ${enrolled.coreUrl} failed (${errorMessage(error)}); retrying in 60 s`,
							);
						}
					});
					return true;
				} catch (error) {
					throw toNodeError(this.getNode(), error);
				}
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				const owner = ownerOf(this);
				const enrolled = enrollmentOf(owner);
				forgetConnector(owner);
				// Deactivated: nothing this node kept in process memory (keys, nonces) may outlive it.
				clearOwner(owner);
				if (!enrolled) return true;
				try {
					await dsxConnectClientFrom(await this.getCredentials(DSX_CONNECT_CREDENTIAL)).unregister(
						enrolled,
					);
				} catch (error) {
					this.logger.warn(
						`DSX Connect Connector: could not unregister from ${enrolled.coreUrl} (${errorMessage(error)}); dsx-connect drops it when its presence expires`,
					);
				}
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		let call;
		try {
			call = await verifyInbound(this);
		} catch (error) {
			// dsx-connect unreachable while re-registering after a restart: nothing can be verified.
			this.logger.error(`DSX Connect Connector: cannot verify the call: ${errorMessage(error)}`);
			const res = this.getResponseObject();
			res.writeHead(503, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ status: 'error', message: 'connector not registered' }));
			return { noWebhookResponse: true };
		}
		if (!call) return { noWebhookResponse: true };
		return this.getWebhookName() === READ_FILE_WEBHOOK
			? await readFile(this, call)
			: itemAction(this, call);
	}
}
