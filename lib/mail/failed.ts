import type { MessageSummary } from './message-ref';
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
	const receivedAt = summary.receivedAt;
	return {
		provider: summary.provider,
		account: summary.account,
		mailbox: summary.mailbox,
		id: summary.id,
		locator,
		...(summary.uid === undefined ? {} : { uid: summary.uid }),
		...(summary.uidValidity === undefined ? {} : { uidValidity: summary.uidValidity }),
		...(summary.messageId ? { messageId: summary.messageId } : {}),
		references: [],
		subject: '',
		replyTo: [],
		to: [],
		cc: [],
		bcc: [],
		date: summary.date ?? receivedAt ?? new Date(0).toISOString(),
		...(summary.date ? {} : { dateFromReceived: true }),
		...(receivedAt ? { receivedAt } : {}),
		...(summary.size === undefined ? {} : { size: summary.size }),
		flags: summary.flags ?? [],
		labels: [],
		categories: [],
		text: '',
		html: '',
		textTruncated: false,
		headers: {},
		attachments: [],
		ingestError: { code: error.code ?? 'FAILED', message: error.message },
	};
}
