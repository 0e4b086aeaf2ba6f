import type { IExecuteFunctions } from 'n8n-workflow';

import { MailIntelError, isMailIntelError } from '../../../../lib/errors';
import { sharedImapPool } from '../../../../lib/providers/imap';
import { ImapSession } from '../../../../lib/providers/imap/session';
import { imapSettingsFrom } from '../../../EmailIntelImapTrigger/parameters';

export const CREDENTIAL_NAME = 'emailIntelImapApi';

/**
 * One IMAP session per execution, from the `emailIntelImapApi` credential, on the process-wide
 * connection pool the trigger uses (lib/providers/imap/pool.ts): a workflow that runs every
 * minute logs in once, not once per run. The router gives it back after the last item.
 */
export async function openSession(this: IExecuteFunctions): Promise<ImapSession> {
	const settings = imapSettingsFrom(await this.getCredentials(CREDENTIAL_NAME));
	return new ImapSession(settings, { pool: sharedImapPool() });
}

/**
 * lib names the trigger's parameter ("Mailboxes") when a mailbox does not exist; this node's
 * parameter is "Mailbox".
 */
export function forThisNode(error: unknown): unknown {
	if (!isMailIntelError(error) || error.code !== 'MAILBOX_NOT_FOUND') return error;
	return new MailIntelError(error.message, {
		source: error.source,
		code: 'MAILBOX_NOT_FOUND',
		status: 404,
		field: 'mailbox',
		hint: 'Check the mailbox path (Mailbox: List shows every path; names are case-sensitive except INBOX).',
		cause: error,
	});
}
