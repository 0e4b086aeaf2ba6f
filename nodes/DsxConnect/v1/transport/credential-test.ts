import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { credentialTestFailure } from '../../../shared/errors';
import { dsxConnectClientFrom } from '../../../shared/dsx-connect/client';

/**
 * Asks dsx-connect for an access token with the enrollment token (POST /connectors/token): the
 * URL, TLS and token are proven without registering a connector. One quick retry at most.
 */
export async function testDsxConnectCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		await dsxConnectClientFrom(credential.data ?? {}, {
			retries: 1,
			baseDelayMs: 200,
		}).checkEnrollmentToken();
		return { status: 'OK', message: 'dsx-connect accepted the enrollment token' };
	} catch (error) {
		return credentialTestFailure(error);
	}
}
