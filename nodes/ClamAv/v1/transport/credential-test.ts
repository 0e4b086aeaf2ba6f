import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { credentialTestFailure } from '../../../shared/errors';
import { engineFromCredential } from './index';

/** n8n's credential test: PING → PONG, then VERSION for the message, with the node's own engine. */
export async function testClamAvCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const engine = engineFromCredential(credential.data ?? {});
		await engine.ping();
		return { status: 'OK', message: `Connected to ${await engine.version()}` };
	} catch (error) {
		return credentialTestFailure(error);
	}
}
