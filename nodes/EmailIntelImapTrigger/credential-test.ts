import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { verifyImapSettings } from '../../lib/providers/imap';
import { credentialTestFailure } from '../shared/errors';
import { imapSettingsFrom } from './parameters';

/** n8n's credential test for a non-HTTP credential: connect, log in, STATUS INBOX, log out. */
export async function testImapCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const { messages } = await verifyImapSettings(imapSettingsFrom(credential.data ?? {}));
		return { status: 'OK', message: `Connected and logged in; INBOX holds ${messages} message(s)` };
	} catch (error) {
		return credentialTestFailure(error);
	}
}
