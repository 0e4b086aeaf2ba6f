import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { OpenCtiClient } from '../../../../lib/opencti';
import { forEachItem, selectedOperation } from '../../../shared/item-loop';
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
 * One client per execution (platform version, author and labels cached across items); the
 * item loop itself is nodes/shared/item-loop.ts.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const execute = operationFor(selectedOperation<OpenCtiType>(this));
	return [
		await forEachItem(this, {
			open: () => openCtiClient.call(this),
			run: (itemIndex, client) => execute.call(this, itemIndex, client),
		}),
	];
}
