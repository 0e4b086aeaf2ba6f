import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { scanRouter } from '../../../shared/scan/router';
import { dsxaEngine } from '../transport';
import { DSX_FEATURES } from './features';

/** The shared scan item loop (nodes/shared/scan/router.ts) over a DSXA engine. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await scanRouter.call(this, dsxaEngine, DSX_FEATURES);
}
