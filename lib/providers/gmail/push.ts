import { MailIntelError } from '../../errors';
import type { GmailClient } from './client';

/** What a Pub/Sub push of a Gmail watch says: whose mailbox changed, and up to which history id. */
export interface GmailPush {
	emailAddress: string;
	historyId: string;
}

/** The largest push body accepted: Pub/Sub wraps ~100 bytes of data. */
const MAX_PUSH_BYTES = 64 * 1024;

/**
 * Reads a Pub/Sub push body (`{message: {data: base64(JSON)}, subscription}`). A push carries
 * only the address and a history id: the history pass still runs (DESIGN.md §4).
 */
export function parsePush(body: unknown): GmailPush {
	const bad = (reason: string) =>
		new MailIntelError(`not a Gmail push: ${reason}`, {
			source: 'gmail',
			status: 400,
			code: 'BAD_PUSH',
		});
	const data = (body as { message?: { data?: unknown } } | undefined)?.message?.data;
	if (typeof data !== 'string' || data.length > MAX_PUSH_BYTES) throw bad('no message.data');
	let decoded: { emailAddress?: unknown; historyId?: unknown };
	try {
		decoded = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
	} catch {
		throw bad('message.data is not base64 JSON');
	}
	const historyId = String(decoded.historyId ?? '');
	if (typeof decoded.emailAddress !== 'string' || !/^\d+$/.test(historyId))
		throw bad('emailAddress or historyId missing');
	return { emailAddress: decoded.emailAddress, historyId };
}

/** `users.watch`: Gmail publishes to `topicName` when the watched labels change; at most 7 days. */
export async function startWatch(
	client: GmailClient,
	topicName: string,
	labels: string[],
): Promise<{ historyId: string; expiration: number }> {
	const answer = await client.json<{ historyId: string; expiration: string }>({
		method: 'POST',
		path: 'watch',
		body: {
			topicName,
			...(labels.length > 0 ? { labelIds: labels, labelFilterBehavior: 'include' } : {}),
		},
		idempotent: true, // a second watch replaces the first
	});
	return { historyId: answer.historyId, expiration: Number(answer.expiration) };
}

/** Renew a watch once a day (Google's advice), well before its 7-day expiry. */
export const WATCH_RENEW_AFTER_MS = 24 * 3600_000;

export function watchDue(setAt: number | undefined, now = Date.now()): boolean {
	return setAt === undefined || now - setAt >= WATCH_RENEW_AFTER_MS;
}

/** `users.stop`: no more pushes for this mailbox. */
export async function stopWatch(client: GmailClient): Promise<void> {
	await client.json({ method: 'POST', path: 'stop', idempotent: true });
}
