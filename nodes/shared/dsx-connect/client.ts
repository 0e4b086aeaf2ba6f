import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { DsxConnectClient } from '../../../lib/scan/dsx-connect/client';

export const DSX_CONNECT_CREDENTIAL = 'dsxConnectApi';

/** The lib client from the `dsxConnectApi` credential (both DSX Connect nodes use this). */
export function dsxConnectClientFrom(
	credentials: ICredentialDataDecryptedObject,
	retry?: { retries: number; baseDelayMs: number },
): DsxConnectClient {
	const ca = String(credentials.caCertificate ?? '').trim();
	return new DsxConnectClient({
		url: String(credentials.url ?? ''),
		enrollmentToken: String(credentials.enrollmentToken ?? ''),
		http: {
			...(ca ? { ca } : {}),
			...(credentials.skipTlsVerification === true ? { dangerouslySkipTlsVerification: true } : {}),
			...(retry ? { retry } : {}),
		},
	});
}

export function connectorNameFrom(credentials: ICredentialDataDecryptedObject): string {
	return String(credentials.connectorName ?? '').trim() || 'n8n-email-intel-connector';
}
