import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { credentialTestFailure } from '../shared/errors';
import { gmailConfigFrom } from './parameters';
import { openGmail } from './poll';

/** n8n's credential test for the token JSON / service account credential: a token, then the profile. */
export async function testGoogleCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const provider = openGmail(gmailConfigFrom('googleApi', credential.data ?? {}));
		const profile = await provider.client.json<{ emailAddress?: string; messagesTotal?: number }>({
			path: 'profile',
		});
		return {
			status: 'OK',
			message: `Signed in as ${profile.emailAddress ?? 'the mailbox'}; it holds ${profile.messagesTotal ?? 0} message(s)`,
		};
	} catch (error) {
		return credentialTestFailure(error);
	}
}
