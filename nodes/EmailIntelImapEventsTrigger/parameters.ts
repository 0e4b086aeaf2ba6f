import { MailIntelError } from '../../lib/errors';
import type { AttachmentPolicy } from '../../lib/mail/policy';
import { policyFromParameters, type AttachmentOptionValues } from '../shared/attachment-options';
import { DEFAULT_BATCH_SIZE } from '../EmailIntelImapTrigger/parameters';
import { EVENT_TYPES, type EventType } from './description';

export interface EventsOptionValues extends AttachmentOptionValues {
	includeRaw?: boolean;
	maxItemsPerExecution?: number;
}

export interface EventsParameters {
	mailboxes: string[];
	events: Set<EventType>;
	policy: AttachmentPolicy;
	keepRaw: boolean;
	batchSize: number;
}

/** Reads and checks the node's parameters; a bad value is a MailIntelError naming the parameter. */
export function eventsParameters(
	mailboxes: string,
	events: unknown,
	options: EventsOptionValues,
): EventsParameters {
	const list = [
		...new Set(
			mailboxes
				.split(/[\n,]/)
				.map((name) => name.trim())
				.filter((name) => name.length > 0),
		),
	];
	if (list.length === 0)
		throw new MailIntelError('no mailbox to watch', {
			source: 'config',
			field: 'mailboxes',
			hint: 'Enter at least one mailbox, e.g. INBOX.',
		});
	const chosen = (Array.isArray(events) ? events : []).filter((value): value is EventType =>
		(EVENT_TYPES as readonly string[]).includes(String(value)),
	);
	if (chosen.length === 0)
		throw new MailIntelError('no event chosen', {
			source: 'config',
			field: 'events',
			hint: 'Choose at least one of New Message, Message Flags Changed, Message Deleted.',
		});
	return {
		mailboxes: list,
		events: new Set(chosen),
		policy: policyFromParameters(options),
		keepRaw: options.includeRaw ?? false,
		batchSize: Math.max(1, Math.floor(options.maxItemsPerExecution ?? DEFAULT_BATCH_SIZE)),
	};
}
