import type { IngestState } from '../../ingest/state';
import type { GmailCursor } from './cursor';

/** The Gmail trigger's static data: the ingest core's state, one scope (the mailbox) with its history cursor. */
export type GmailTriggerState = IngestState<GmailCursor>;

export function readGmailState(stored: unknown): GmailTriggerState | undefined {
	const data = stored as Partial<GmailTriggerState> | undefined;
	if (!data || typeof data !== 'object') return undefined;
	return data.version === 2 && data.scopes && data.epoch ? (data as GmailTriggerState) : undefined;
}
