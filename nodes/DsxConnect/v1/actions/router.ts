import { randomUUID } from 'node:crypto';

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { toNodeError } from '../../../shared/errors';
import { dsxConnectSession, type DsxConnectSession } from '../transport';
import type { DsxConnectType } from './node.type';
import * as scanRequest from './scanRequest';

type Operation = (
	this: IExecuteFunctions,
	itemIndex: number,
	session: DsxConnectSession,
	defaultJobId: string,
) => Promise<INodeExecutionData[]>;

function operationFor(selected: DsxConnectType): Operation {
	switch (selected.resource) {
		case 'scanRequest':
			return scanRequest[selected.operation].execute;
	}
}

/**
 * Owns the item loop: one session per execution (and one scan job id, so dsx-connect groups the
 * execution's requests), the item index on every error, `pairedItem` on every output, and
 * continue-on-fail turning a failed item into an error item while later items still run.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const selected = {
		resource: this.getNodeParameter('resource', 0),
		operation: this.getNodeParameter('operation', 0),
	} as DsxConnectType;
	const execute = operationFor(selected);
	const jobId = randomUUID();
	const returnData: INodeExecutionData[] = [];
	let session: DsxConnectSession | undefined;

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			session ??= await dsxConnectSession.call(this);
			returnData.push(...(await execute.call(this, itemIndex, session, jobId)));
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
