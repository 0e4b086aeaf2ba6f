/* eslint-disable n8n-nodes-base/node-filename-against-convention -- versioned node: the version's description lives here, the wrapper is ClamAv.node.ts (n8n's Outlook v2 layout) */
import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';

import { SCAN_OUTPUT_NAMES } from '../../../shared/scan/features';
import { scanProperties } from '../../../shared/scan/description';
import { CLAMAV_FEATURES } from './features';

export const versionDescription: INodeTypeDescription = {
	displayName: 'ClamAV',
	name: 'clamAv',
	// n8n resolves icons of every version relative to the wrapper file (nodes/ClamAv/ClamAv.node.js).
	icon: { light: 'file:../../icons/clamav.svg', dark: 'file:../../icons/clamav.dark.svg' },
	group: ['transform'],
	version: 1,
	subtitle: '={{$parameter["operation"]}}',
	description: 'Scan email attachments and files with ClamAV (clamd)',
	defaults: { name: 'ClamAV' },
	usableAsTool: true,
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
	outputNames: [...SCAN_OUTPUT_NAMES],
	credentials: [{ name: 'clamAvApi', required: true, testedBy: 'clamAvApiTest' }],
	properties: scanProperties(CLAMAV_FEATURES),
};
