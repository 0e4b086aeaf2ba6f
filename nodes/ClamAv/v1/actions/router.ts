import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { scanRouter } from '../../../shared/scan/router';
import { clamdEngine } from '../transport';
import { CLAMAV_FEATURES } from './features';

/** The shared scan item loop (nodes/shared/scan/router.ts) over a clamd engine. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await scanRouter.call(this, clamdEngine, CLAMAV_FEATURES);
}
