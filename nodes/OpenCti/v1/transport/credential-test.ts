import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { credentialTestFailure } from '../../../shared/errors';
import { clientFromCredential } from './index';

/** A person waits for the answer: one attempt, no backoff. */
const NO_RETRY = { retries: 0, baseDelayMs: 0, maxDelayMs: 0 };

/**
 * n8n's credential test: `about { version }` with the node's own client. A bad URL, an
 * `http://` URL without "Allow Unencrypted HTTP" (refused before the token leaves n8n), a
 * rejected token: each answer names the field to fix.
 */
export async function testOpenCtiCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const version = await clientFromCredential(credential.data ?? {}, {
			retry: NO_RETRY,
		}).version();
		return { status: 'OK', message: `Connected to OpenCTI ${version}` };
	} catch (error) {
		return credentialTestFailure(error);
	}
}
