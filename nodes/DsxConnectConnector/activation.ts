import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import {
	connectorUuid,
	enroll,
	enrollmentOf,
	type EnrolledConnector,
} from '../../lib/scan/dsx-connect/enrollment';
import type { ConnectorInstance, ItemAction } from '../../lib/scan/dsx-connect/types';
import {
	connectorNameFrom,
	DSX_CONNECT_CREDENTIAL,
	dsxConnectClientFrom,
} from '../shared/dsx-connect/client';
import { READ_FILE_WEBHOOK } from './description';
import { ownerOf } from './owner';

/** What activation, heartbeats and inbound calls read from their n8n context. */
export interface ConnectorContext {
	getNodeParameter(name: string, fallback?: unknown): unknown;
	getCredentials<T extends object = ICredentialDataDecryptedObject>(type: string): Promise<T>;
	getNodeWebhookUrl(name: string): string | undefined;
	getWorkflow(): { id?: string; name?: string };
	getNode(): { id?: string; name: string };
	getMode(): string;
}

/**
 * The connector's base URL: dsx-connect appends `/read_file` and `/item_action`, which are this
 * node's two webhooks (`.../webhook/<id>/dsx/read_file`, `.../dsx/item_action`).
 */
export function connectorUrlOf(context: Pick<ConnectorContext, 'getNodeWebhookUrl'>): string {
	const readFile = context.getNodeWebhookUrl(READ_FILE_WEBHOOK) ?? '';
	return readFile.slice(0, readFile.length - '/read_file'.length);
}

export async function connectorInstance(context: ConnectorContext): Promise<{
	instance: ConnectorInstance;
	credentials: ICredentialDataDecryptedObject;
}> {
	const credentials = await context.getCredentials(DSX_CONNECT_CREDENTIAL);
	const client = dsxConnectClientFrom(credentials);
	const itemAction = String(context.getNodeParameter('itemAction', 'movetag')) as ItemAction;
	const workflow = context.getWorkflow();
	return {
		credentials,
		instance: {
			name: connectorNameFrom(credentials),
			display_name: workflow.name ? `n8n: ${workflow.name}` : null,
			uuid: connectorUuid(ownerOf(context), client.baseUrl),
			meta_info: 'n8n-nodes-email-intel',
			url: connectorUrlOf(context),
			status: 'ready',
			item_action: itemAction,
			item_action_move_metainfo:
				itemAction === 'move' || itemAction === 'movetag'
					? String(context.getNodeParameter('itemActionMoveMetainfo', 'Quarantine'))
					: '',
			asset: String(context.getNodeParameter('asset', '')),
			filter: '',
		},
	};
}

/** Registers (or re-registers: dsx-connect returns the same HMAC key) and remembers the key in memory. */
export async function enrollNow(context: ConnectorContext): Promise<EnrolledConnector> {
	const { instance, credentials } = await connectorInstance(context);
	return await enroll(dsxConnectClientFrom(credentials), ownerOf(context), instance);
}

/** The key for verifying an inbound call: the one in memory, or a fresh registration (after a restart). */
export async function currentEnrollment(context: ConnectorContext): Promise<EnrolledConnector> {
	return enrollmentOf(ownerOf(context)) ?? (await enrollNow(context));
}
