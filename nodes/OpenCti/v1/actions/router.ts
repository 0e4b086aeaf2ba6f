import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { OpenCtiClient } from '../../../../lib/opencti';
import { toNodeError } from '../../../shared/errors';
import { openCtiClient } from '../transport';
import * as file from './file';
import type { OpenCtiType } from './node.type';
import * as report from './report';

type Operation = (
	this: IExecuteFunctions,
	itemIndex: number,
	client: OpenCtiClient,
) => Promise<INodeExecutionData[]>;

function operationFor(selected: OpenCtiType): Operation {
	switch (selected.resource) {
		case 'report':
			return report[selected.operation].execute;
		case 'file':
			return file[selected.operation].execute;
	}
}

/**
 * Owns the item loop: one client per execution (platform version, author and labels cached
 * across items), the item index on every error, `pairedItem` on every output, and
 * continue-on-fail turning a failed item into an error item while later items still run.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const selected = {
		resource: this.getNodeParameter('resource', 0),
		operation: this.getNodeParameter('operation', 0),
	} as OpenCtiType;
	const execute = operationFor(selected);
	const returnData: INodeExecutionData[] = [];
	let client: OpenCtiClient | undefined;

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			client ??= await openCtiClient.call(this);
			returnData.push(...(await execute.call(this, itemIndex, client)));
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
	return [returnData];
}
