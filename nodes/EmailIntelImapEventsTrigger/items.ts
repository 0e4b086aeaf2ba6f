import type { IBinaryData, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { formatLocator } from '../../lib/mail/locator';
import type { MailboxEvent } from '../../lib/providers/imap/events';
import type { ImapSettings } from '../../lib/providers/imap';
import { toNodeItem } from '../shared/binary-sink';

type BinaryContext = Parameters<typeof toNodeItem>[0];

/**
 * One event as an n8n item. `event` names it; a new message is the normalized email item (the
 * same shape as the IMAP Trigger's, attachments as binary); a flag change or a deletion carries
 * the message's address (UID, UIDVALIDITY, locator) and, for flags, what changed.
 */
export async function eventItem(
	context: BinaryContext,
	settings: ImapSettings,
	event: MailboxEvent<IBinaryData>,
): Promise<INodeExecutionData> {
	if (event.type === 'messageNew') {
		const item = await toNodeItem(context, {
			email: event.email,
			attachments: event.attachments,
			...(event.raw === undefined ? {} : { raw: event.raw }),
		});
		item.json = { event: event.type, ...item.json };
		return item;
	}
	const { summary } = event;
	const json: IDataObject = {
		event: event.type,
		provider: 'imap',
		account: summary.account,
		mailbox: summary.mailbox,
		id: summary.id,
		uid: summary.uid,
		uidValidity: summary.uidValidity,
		locator: formatLocator(summary, { host: settings.host, port: settings.port }),
	};
	if (event.type === 'messageUpdated') {
		json.flags = event.flags;
		if (event.added) {
			json.flagsAdded = event.added;
			json.flagsRemoved = event.removed ?? [];
		}
		if (event.modseq) json.modseq = event.modseq;
	}
	return { json };
}
