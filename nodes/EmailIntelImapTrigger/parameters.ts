import { DateTime } from 'luxon';

import { MailIntelError } from '../../lib/errors';
import { DEFAULT_RETRY_BUDGET } from '../../lib/ingest/core';
import type { AttachmentPolicy } from '../../lib/mail/policy';
import type { ImapSearchFilter } from '../../lib/providers/imap';
import { policyFromParameters, type AttachmentOptionValues } from '../shared/attachment-options';
import { startDateFrom } from '../shared/start-date';

export { DEFAULT_START_DATE } from '../shared/start-date';
export const DEFAULT_MAX_ITEMS = 100;
/** Version 2: a poll hands on up to this many, in executions of DEFAULT_BATCH_SIZE. */
export const DEFAULT_MAX_ITEMS_V2 = 10_000;
export const DEFAULT_BATCH_SIZE = 100;

export interface TriggerOptionValues extends AttachmentOptionValues {
	relativeImportStartDate?: string;
	includeRaw?: boolean;
	maxItemsPerPoll?: number;
	maxItemsPerExecution?: number;
	retryBudget?: number;
	fromContains?: string;
	subjectContains?: string;
	toContains?: string;
}

export interface TriggerParameters {
	mailboxes: string[];
	since: Date;
	policy: AttachmentPolicy;
	keepRaw: boolean;
	maxItems: number;
	/** Items per execution (version 2); undefined: one execution per poll (version 1). */
	batchSize?: number;
	retryBudget: number;
	search: ImapSearchFilter;
}

/** Reads and checks the node's parameters; a bad value is a MailIntelError naming the parameter. */
export function triggerParameters(
	mailboxes: string,
	options: TriggerOptionValues,
	now: DateTime = DateTime.utc(),
	version = 1,
): TriggerParameters {
	const list = mailboxes
		.split(/[\n,]/)
		.map((name) => name.trim())
		.filter((name) => name.length > 0);
	if (list.length === 0) {
		throw new MailIntelError('no mailbox to watch', {
			source: 'config',
			field: 'mailboxes',
			hint: 'Enter at least one mailbox, e.g. INBOX.',
		});
	}
	const search: ImapSearchFilter = {};
	if (options.fromContains?.trim()) search.from = options.fromContains.trim();
	if (options.subjectContains?.trim()) search.subject = options.subjectContains.trim();
	if (options.toContains?.trim()) search.to = options.toContains.trim();
	return {
		mailboxes: [...new Set(list)],
		since: startDateFrom(options.relativeImportStartDate, now),
		policy: policyFromParameters(options),
		keepRaw: options.includeRaw ?? false,
		maxItems: whole(
			options.maxItemsPerPoll ?? (version >= 2 ? DEFAULT_MAX_ITEMS_V2 : DEFAULT_MAX_ITEMS),
		),
		...(version >= 2
			? { batchSize: whole(options.maxItemsPerExecution ?? DEFAULT_BATCH_SIZE) }
			: {}),
		retryBudget: whole(options.retryBudget ?? DEFAULT_RETRY_BUDGET),
		search,
	};
}

function whole(value: number): number {
	return Math.max(1, Math.floor(value));
}

/** The credential's fields as connection settings (shared with the Mail Remediation node). */
export { imapSettingsFrom } from '../shared/imap-credential';
