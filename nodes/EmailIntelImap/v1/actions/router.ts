import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { ImapSession } from '../../../../lib/providers/imap/session';
import { forEachItem, selectedOperation } from '../../../shared/item-loop';
import { forThisNode, openSession } from '../transport';
import * as mailbox from './mailbox';
import * as message from './message';
import type { EmailIntelImapType } from './node.type';

/** Every operation: `execute(this, itemIndex, session)`; the session is this execution's IMAP connection. */
export type Operation = (
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
) => Promise<INodeExecutionData[]>;

function operationFor(selected: EmailIntelImapType): Operation {
	switch (selected.resource) {
		case 'mailbox':
			return mailbox[selected.operation].execute;
		case 'message':
			return message[selected.operation].execute;
	}
}

/**
 * One pooled IMAP session for the whole execution, given back at the end whatever happened;
 * the item loop itself is nodes/shared/item-loop.ts.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const execute = operationFor(selectedOperation<EmailIntelImapType>(this));
	return [
		await forEachItem(this, {
			open: () => openSession.call(this),
			run: (itemIndex, session) => execute.call(this, itemIndex, session),
			close: (session) => session.close(),
			explain: forThisNode,
		}),
	];
}
