import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { credentialTestFailure } from '../../../shared/errors';
import { engineFromCredential } from './index';

/** SHA-256 of no bytes: a lookup any scanner answers without a file being sent. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * n8n's credential test: one `/scan/by_hash` with the node's own engine, so the URL, the
 * certificate and the token are checked exactly as an execution uses them (a 401 names the
 * Auth Token field).
 */
export async function testDsxCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		await engineFromCredential(credential.data ?? {}, { timeoutMs: 15_000 }).byHash(EMPTY_SHA256);
		return { status: 'OK', message: 'The DSXA scanner answered' };
	} catch (error) {
		return credentialTestFailure(error);
	}
}
