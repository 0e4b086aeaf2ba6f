import {
	VersionedNodeType,
	type INodeTypeBaseDescription,
	type IVersionedNodeType,
} from 'n8n-workflow';

import { OpenCtiV1 } from './v1/OpenCtiV1.node';

/** Versioned wrapper (Outlook v2 style): behaviour changes that alter reports get a new version. */
export class OpenCti extends VersionedNodeType {
	constructor() {
		const baseDescription: INodeTypeBaseDescription = {
			displayName: 'OpenCTI',
			name: 'openCti',
			icon: { light: 'file:../../icons/opencti.svg', dark: 'file:../../icons/opencti.dark.svg' },
			group: ['output'],
			subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
			description: 'Create OpenCTI reports from emails, like the Email Intel IMAP connector',
			defaultVersion: 1,
		};
		const nodeVersions: IVersionedNodeType['nodeVersions'] = {
			1: new OpenCtiV1(baseDescription),
		};
		super(nodeVersions, baseDescription);
	}
}
