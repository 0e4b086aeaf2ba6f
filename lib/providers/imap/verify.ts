import { connectImap, disconnectImap, type ConnectOptions } from './connect';
import { imapError } from './errors';
import type { ImapSettings } from './settings';

/**
 * The credential test: connect, log in, STATUS INBOX, log out. Throws the MailIntelError
 * of the step that failed (DNS, refused, TLS, auth), each naming the field to fix.
 */
export async function verifyImapSettings(
	settings: ImapSettings,
	options: ConnectOptions = {},
): Promise<{ messages: number }> {
	const client = await connectImap(settings, options);
	try {
		const status = await client.status('INBOX', { messages: true });
		if (!status)
			throw imapError(
				Object.assign(new Error('STATUS INBOX failed'), { serverResponseCode: 'NONEXISTENT' }),
				settings,
				'INBOX',
			);
		return { messages: status.messages ?? 0 };
	} catch (error) {
		throw imapError(error, settings, 'INBOX');
	} finally {
		await disconnectImap(client);
	}
}
