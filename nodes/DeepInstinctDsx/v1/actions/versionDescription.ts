/* eslint-disable n8n-nodes-base/node-filename-against-convention -- versioned node: the version's description lives here, the wrapper is DeepInstinctDsx.node.ts (n8n's Outlook v2 layout) */
import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';

import { SCAN_OUTPUT_NAMES } from '../../../shared/scan/features';
import { scanProperties } from '../../../shared/scan/description';
import { DSX_FEATURES } from './features';

export const versionDescription: INodeTypeDescription = {
	displayName: 'Deep Instinct DSX',
	name: 'deepInstinctDsx',
	// n8n resolves icons of every version relative to the wrapper file (nodes/DeepInstinctDsx/DeepInstinctDsx.node.js).
	icon: {
		light: 'file:../../icons/deep-instinct-dsx.svg',
		dark: 'file:../../icons/deep-instinct-dsx.dark.svg',
	},
	group: ['transform'],
	version: 1,
	subtitle: '={{$parameter["operation"]}}',
	description: 'Scan email attachments and files with a Deep Instinct DSXA scanner',
	defaults: { name: 'Deep Instinct DSX' },
	usableAsTool: true,
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
	outputNames: [...SCAN_OUTPUT_NAMES],
	credentials: [{ name: 'deepInstinctDsxApi', required: true, testedBy: 'deepInstinctDsxApiTest' }],
	properties: scanProperties(DSX_FEATURES),
};
