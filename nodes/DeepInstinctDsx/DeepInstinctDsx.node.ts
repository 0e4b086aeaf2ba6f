import {
	VersionedNodeType,
	type INodeTypeBaseDescription,
	type IVersionedNodeType,
} from 'n8n-workflow';

import { DeepInstinctDsxV1 } from './v1/DeepInstinctDsxV1.node';

/** Versioned wrapper (Outlook v2 style): a change of what the outputs receive gets a new version. */
export class DeepInstinctDsx extends VersionedNodeType {
	constructor() {
		const baseDescription: INodeTypeBaseDescription = {
			displayName: 'Deep Instinct DSX',
			name: 'deepInstinctDsx',
			icon: {
				light: 'file:../../icons/deep-instinct-dsx.svg',
				dark: 'file:../../icons/deep-instinct-dsx.dark.svg',
			},
			group: ['transform'],
			subtitle: '={{$parameter["operation"]}}',
			description: 'Scan email attachments and files with a Deep Instinct DSXA scanner',
			defaultVersion: 1,
		};
		const nodeVersions: IVersionedNodeType['nodeVersions'] = {
			1: new DeepInstinctDsxV1(baseDescription),
		};
		super(nodeVersions, baseDescription);
	}
}
