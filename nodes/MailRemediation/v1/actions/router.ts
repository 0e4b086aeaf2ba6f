import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { toNodeError } from '../../../shared/errors';
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
 * Owns the item loop: one remediator per provider for the whole execution (one IMAP login),
 * the item index on every error, `pairedItem` on every output, continue-on-fail turning a
 * failed item into an error item while later items still run, and every connection closed at the end.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const selected = {
		resource: this.getNodeParameter('resource', 0, 'message'),
		operation: this.getNodeParameter('operation', 0),
	} as MailRemediationType;
	const execute = operationFor(selected);
	const returnData: INodeExecutionData[] = [];
	const remediators = new Remediators(this);
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				returnData.push(...(await execute.call(this, itemIndex, remediators)));
			} catch (caught) {
				const error = toNodeError(this.getNode(), caught, itemIndex);
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
		await remediators.close();
	}
	return [returnData];
}
