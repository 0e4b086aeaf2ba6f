import type { IExecuteFunctions } from 'n8n-workflow';

import type { DsxConnectClient } from '../../../../lib/scan/dsx-connect/client';
import {
	findEnrollment,
	type EnrolledConnector,
} from '../../../../lib/scan/dsx-connect/enrollment';
import {
	connectorNameFrom,
	DSX_CONNECT_CREDENTIAL,
	dsxConnectClientFrom,
} from '../../../shared/dsx-connect/client';

export interface DsxConnectSession {
	client: DsxConnectClient;
	/** The registration of the connector trigger this execution submits for. */
	enrollment: EnrolledConnector;
}

/**
 * One client per execution, and the connector registration the DSX Connect Connector trigger
 * holds in this process (its HMAC key is in memory only, never in a credential or an item).
 */
export async function dsxConnectSession(this: IExecuteFunctions): Promise<DsxConnectSession> {
	const credentials = await this.getCredentials(DSX_CONNECT_CREDENTIAL);
	const client = dsxConnectClientFrom(credentials);
	return { client, enrollment: findEnrollment(client.baseUrl, connectorNameFrom(credentials)) };
}
