import type { MessageSummary } from './message-ref';
import { emptyEmail } from './parse';
import type { NormalizedEmail } from './types';

/**
 * The item for a message that could not be built (lib/ingest/core.ts): what the listing said of
 * it (ids, locator, dates, size, flags) and the failure as `ingestError`, so a workflow sees it
 * and can act on it by its locator. The same shape from every provider.
 */
export function failedEmail(
	summary: MessageSummary,
	locator: string,
	error: { code?: string; message: string },
): NormalizedEmail {
	const email = emptyEmail({
		provider: summary.provider,
		account: summary.account,
		mailbox: summary.mailbox,
		id: summary.id,
		locator,
		...(summary.uid === undefined ? {} : { uid: summary.uid }),
		...(summary.uidValidity === undefined ? {} : { uidValidity: summary.uidValidity }),
		...(summary.size === undefined ? {} : { size: summary.size }),
		...(summary.receivedAt === undefined ? {} : { receivedAt: summary.receivedAt }),
		flags: summary.flags ?? [],
	});
	if (summary.messageId) email.messageId = summary.messageId;
	if (summary.date) email.date = summary.date;
	else email.dateFromReceived = true;
	email.ingestError = { code: error.code ?? 'FAILED', message: error.message };
	return email;
}
