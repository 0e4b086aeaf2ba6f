import { bufferSink, type BufferedAttachment } from '../../../../lib/mail/parse';
import { DEFAULT_POLICY } from '../../../../lib/mail/policy';
import {
	pollImap,
	type ImapPollResult,
	type ImapTriggerState,
} from '../../../../lib/providers/imap/poll';
import type { ImapConnectionPool } from '../../../../lib/providers/imap/pool';
import { ImapProvider, type ImapProviderOptions } from '../../../../lib/providers/imap/provider';
import type { ImapSettings } from '../../../../lib/providers/imap/settings';
import type { DovecotServer } from '../../../imap/dovecot';

export function settingsFor(
	server: DovecotServer,
	overrides: Partial<ImapSettings> = {},
): ImapSettings {
	return {
		host: server.host,
		port: server.port,
		security: 'none',
		user: 'alice',
		auth: { method: 'password', password: server.users.alice },
		connectTimeoutMs: 5000,
		...overrides,
	};
}

/**
 * Plays the trigger: one poll with a fresh provider (as n8n does), state committed only
 * from what the poll returns, connection always closed.
 */
export class Poller {
	state: ImapTriggerState | undefined;
	constructor(
		private readonly settings: ImapSettings,
		private readonly options: {
			mailboxes?: string[];
			since?: Date;
			maxItems?: number;
			keepRaw?: boolean;
			/** Reuse logged-in connections between polls, as the trigger node does. */
			pool?: ImapConnectionPool;
		} = {},
	) {}

	async poll(
		during?: (provider: ImapProvider) => void,
	): Promise<ImapPollResult<BufferedAttachment>> {
		const provider = new ImapProvider(this.settings, { pool: this.options.pool });
		try {
			during?.(provider);
			const result = await pollImap(provider, this.state, {
				mailboxes: this.options.mailboxes ?? ['INBOX'],
				since: this.options.since ?? new Date(Date.now() - 30 * 24 * 3600 * 1000),
				maxItems: this.options.maxItems ?? 100,
				policy: DEFAULT_POLICY,
				sink: bufferSink,
				rawSink: bufferSink,
				keepRaw: this.options.keepRaw ?? false,
			});
			this.state = result.state;
			return result;
		} finally {
			await provider.close();
		}
	}
}

/** Asserts that no message in the mailbox carries \Seen (the trigger must never change mail). */
export async function expectNoSeen(
	server: DovecotServer,
	mailbox = 'INBOX',
	user = 'alice',
): Promise<void> {
	const flags = await server.flags(user, mailbox);
	const seen = [...flags].filter(([, list]) => list.includes('\\Seen')).map(([uid]) => uid);
	expect(seen).toEqual([]);
}

/**
 * Records the tagged command lines imapflow sends (`A3 STATUS INBOX (...)`), from its
 * protocol log. The SASL-IR / continuation line of AUTHENTICATE is not a command.
 */
export function imapCommandLog(): { lines: string[]; logger: ImapProviderOptions['logger'] } {
	const lines: string[] = [];
	const ignore = () => undefined;
	const logger = {
		debug: (entry: { src?: string; msg?: string }) => {
			if (entry.src === 'c' && entry.msg && /^[A-Z0-9]+ [A-Z]/.test(entry.msg))
				lines.push(entry.msg);
		},
		info: ignore,
		warn: ignore,
		error: ignore,
		trace: ignore,
	};
	return { lines, logger: logger as unknown as ImapProviderOptions['logger'] };
}

export { mailIntelFailure } from '../../../helpers/failure';
