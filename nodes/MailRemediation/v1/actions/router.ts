import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { forEachItem, selectedOperation } from '../../../shared/item-loop';
import { Remediators } from '../transport';
import * as message from './message';
import type { MailRemediationType } from './node.type';

type Operation = (
	this: IExecuteFunctions,
	itemIndex: number,
	remediators: Remediators,
) => Promise<INodeExecutionData[]>;

function operationFor(selected: MailRemediationType): Operation {
	switch (selected.resource) {
		case 'message':
			return message[selected.operation].execute;
	}
}

/**
 * One remediator per provider for the whole execution (one IMAP login), every connection
 * closed at the end; the item loop itself is nodes/shared/item-loop.ts.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const execute = operationFor(selectedOperation<MailRemediationType>(this, 'message'));
	return [
		await forEachItem(this, {
			open: async () => new Remediators(this),
			run: (itemIndex, remediators) => execute.call(this, itemIndex, remediators),
			close: (remediators) => remediators.close(),
		}),
	];
}
