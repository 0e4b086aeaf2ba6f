import {
	VersionedNodeType,
	type INodeTypeBaseDescription,
	type IVersionedNodeType,
} from 'n8n-workflow';

import { EmailIntelImapV1 } from './v1/EmailIntelImapV1.node';

/** Versioned wrapper (Outlook v2 style): behaviour changes that alter output get a new version. */
export class EmailIntelImap extends VersionedNodeType {
	constructor() {
		const baseDescription: INodeTypeBaseDescription = {
			displayName: 'Email Intel IMAP',
			name: 'emailIntelImap',
			icon: {
				light: 'file:../../icons/email-intel-imap.svg',
				dark: 'file:../../icons/email-intel-imap.dark.svg',
			},
			group: ['transform'],
			subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
			description: 'List, read, move, flag, copy and delete IMAP messages and mailboxes',
			defaultVersion: 1,
		};
		const nodeVersions: IVersionedNodeType['nodeVersions'] = {
			1: new EmailIntelImapV1(baseDescription),
		};
		super(nodeVersions, baseDescription);
	}
}
