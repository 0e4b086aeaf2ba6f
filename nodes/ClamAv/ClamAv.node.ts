import {
	VersionedNodeType,
	type INodeTypeBaseDescription,
	type IVersionedNodeType,
} from 'n8n-workflow';

import { ClamAvV1 } from './v1/ClamAvV1.node';

/** Versioned wrapper (Outlook v2 style): a change of what the outputs receive gets a new version. */
export class ClamAv extends VersionedNodeType {
	constructor() {
		const baseDescription: INodeTypeBaseDescription = {
			displayName: 'ClamAV',
			name: 'clamAv',
			icon: { light: 'file:../../icons/clamav.svg', dark: 'file:../../icons/clamav.dark.svg' },
			group: ['transform'],
			subtitle: '={{$parameter["operation"]}}',
			description: 'Scan email attachments and files with ClamAV (clamd)',
			defaultVersion: 1,
		};
		const nodeVersions: IVersionedNodeType['nodeVersions'] = {
			1: new ClamAvV1(baseDescription),
		};
		super(nodeVersions, baseDescription);
	}
}
