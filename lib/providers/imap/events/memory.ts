import { region } from '../../../state/registry';
import type { WatchMemory } from './types';

/**
 * What the events trigger keeps of each watched mailbox between connections in this process:
 * its cursor and the flags of the messages handed on (to tell what a change added or removed).
 *
 * Deliberately NOT cleared by closeFunction: n8n answers a trigger's emitError by closing the
 * trigger and activating it again (n8n 1.x and 2.41 alike), and the new activation must go on
 * from where the old one stopped, flags included. Static data carries the cursor across a
 * process restart; this carries the rest within one process. Memory: one entry per watched
 * mailbox, about 60 bytes per message in it (UID + flag list).
 */
export const watchMemory = region<WatchMemory>({
	name: 'imapEvents.mailboxes',
	holds: 'cursor and per-UID flags of one mailbox watched by the IMAP events trigger',
	key: 'owner:mailbox',
	maxEntries: 1_000,
	ttlMs: 7 * 24 * 3600_000,
	clearedWhen: 'after 7 days or evicted; kept across closeFunction (emitError reactivation)',
});
