import type { ImapFlow } from 'imapflow';

import { MailIntelError } from '../../../errors';
import { ImapSession } from '../session';
import type { ImapSettings } from '../settings';

/**
 * The watcher's own connection as an ImapSession, so new messages go through the one fetch and
 * parse path (fetch.ts fetchEach) on the connection that is IDLE anyway: no second connection,
 * no second decoder. It never connects by itself; the watcher owns the connection.
 */
export class WatchSession extends ImapSession {
	constructor(
		settings: ImapSettings,
		private readonly current: () => ImapFlow | undefined,
	) {
		super(settings);
	}

	override async client(): Promise<ImapFlow> {
		const client = this.current();
		if (client?.usable) return client;
		throw new MailIntelError(
			`the IMAP connection to ${this.settings.host}:${this.settings.port} was lost`,
			{
				source: 'imap',
				code: 'CONNECTION_LOST',
				retryable: true,
			},
		);
	}

	override async close(): Promise<void> {
		// The watcher logs out its own connection.
	}
}
