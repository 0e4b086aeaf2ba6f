import { randomUUID } from 'node:crypto';

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { forEachItem, selectedOperation } from '../../../shared/item-loop';
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
 * One session per execution, and one scan job id so dsx-connect groups the execution's
 * requests; the item loop itself is nodes/shared/item-loop.ts.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const execute = operationFor(selectedOperation<DsxConnectType>(this));
	const jobId = randomUUID();
	return [
		await forEachItem(this, {
			open: () => dsxConnectSession.call(this),
			run: (itemIndex, session) => execute.call(this, itemIndex, session, jobId),
		}),
	];
}
