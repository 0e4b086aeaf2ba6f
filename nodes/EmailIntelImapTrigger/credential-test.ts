import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { MailIntelError, errorMessage } from '../../lib/errors';
import { verifyImapSettings } from '../../lib/providers/imap';
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
		const hint = error instanceof MailIntelError && error.hint ? ` ${error.hint}` : '';
		return { status: 'Error', message: `${asSentence(errorMessage(error))}${hint}` };
	}
}

/** Ends the text with one full stop: a server's "Authentication failed." keeps its own. */
function asSentence(text: string): string {
	const trimmed = text.trimEnd();
	return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
