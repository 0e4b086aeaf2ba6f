import type { IDataObject } from 'n8n-workflow';

import type { EventCursor } from '../../lib/providers/imap/events';

/**
 * The node's static data: one cursor per watched mailbox of one account. n8n (1.x and 2.41)
 * saves a long-lived trigger's static data each time it emits, so a cursor written before an
 * emit survives a restart of n8n; cursors moved without an emit are saved with the next one.
 */
export interface EventsState {
	version: 1;
	/** imapIdentity(): cursors of another account (the credential was changed) are dropped. */
	identity: string;
	mailboxes: Record<string, EventCursor>;
}

export function readEventsState(
	staticData: IDataObject,
	identity: string,
): EventsState | undefined {
	const data = staticData as Partial<EventsState>;
	if (data.version !== 1 || data.identity !== identity || !data.mailboxes) return undefined;
	return data as EventsState;
}

/** Writes one mailbox's cursor, dropping mailboxes no longer watched. */
export function writeCursor(
	staticData: IDataObject,
	identity: string,
	watched: string[],
	mailbox: string,
	cursor: EventCursor,
): void {
	const previous = readEventsState(staticData, identity)?.mailboxes ?? {};
	const mailboxes: Record<string, EventCursor> = {};
	for (const name of watched) if (previous[name]) mailboxes[name] = previous[name];
	mailboxes[mailbox] = { ...cursor };
	for (const key of Object.keys(staticData)) delete staticData[key];
	Object.assign(staticData, { version: 1, identity, mailboxes } satisfies EventsState);
}
