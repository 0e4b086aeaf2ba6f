import {
	VersionedNodeType,
	type INodeTypeBaseDescription,
	type IVersionedNodeType,
} from 'n8n-workflow';

import { DsxConnectV1 } from './v1/DsxConnectV1.node';

/** Versioned wrapper (Outlook v2 style): behaviour changes that alter what is submitted get a new version. */
export class DsxConnect extends VersionedNodeType {
	constructor() {
		const baseDescription: INodeTypeBaseDescription = {
			displayName: 'DSX Connect',
			name: 'dsxConnect',
			icon: {
				light: 'file:../../icons/dsx-connect.svg',
				dark: 'file:../../icons/dsx-connect.dark.svg',
			},
			group: ['output'],
			subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
			description: "Queue email attachments for Deep Instinct dsx-connect's scanning",
			defaultVersion: 1,
		};
		const nodeVersions: IVersionedNodeType['nodeVersions'] = {
			1: new DsxConnectV1(baseDescription),
		};
		super(nodeVersions, baseDescription);
	}
}
