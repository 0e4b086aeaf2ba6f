import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { ImapSession } from '../../../../lib/providers/imap/session';
import { toNodeError } from '../../../shared/errors';
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
 * Owns the item loop: one pooled IMAP session for the whole execution (given back at the end,
 * whatever happened), the item index on every error, `pairedItem` on every output, and
 * continue-on-fail turning a failed item into an error item while later items still run.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const selected = {
		resource: this.getNodeParameter('resource', 0),
		operation: this.getNodeParameter('operation', 0),
	} as EmailIntelImapType;
	const execute = operationFor(selected);
	const returnData: INodeExecutionData[] = [];
	let session: ImapSession | undefined;
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				session ??= await openSession.call(this);
				const output = await execute.call(this, itemIndex, session);
				returnData.push(...output.map((item) => ({ ...item, pairedItem: { item: itemIndex } })));
			} catch (caught) {
				const error = toNodeError(this.getNode(), forThisNode(caught), itemIndex);
				if (this.continueOnFail()) {
					returnData.push({
						json: {
							error: error.message,
							...(error.description ? { description: error.description } : {}),
						},
						pairedItem: { item: itemIndex },
					});
					continue;
				}
				throw error;
			}
		}
	} finally {
		await session?.close();
	}
	return [returnData];
}
