import {
	VersionedNodeType,
	type INodeTypeBaseDescription,
	type IVersionedNodeType,
} from 'n8n-workflow';

import { MailRemediationV1 } from './v1/MailRemediationV1.node';

/** Versioned wrapper (Outlook v2 style): a change to what a remediation does to mail gets a new version. */
export class MailRemediation extends VersionedNodeType {
	constructor() {
		const baseDescription: INodeTypeBaseDescription = {
			displayName: 'Mail Remediation',
			name: 'mailRemediation',
			icon: {
				light: 'file:../../icons/mail-remediation.svg',
				dark: 'file:../../icons/mail-remediation.dark.svg',
			},
			group: ['transform'],
			subtitle: '={{$parameter["operation"]}}',
			description:
				'Strip malicious attachments, add a warning banner, tag, quarantine or release emails in Microsoft 365, IMAP and Gmail mailboxes',
			defaultVersion: 1,
		};
		const nodeVersions: IVersionedNodeType['nodeVersions'] = {
			1: new MailRemediationV1(baseDescription),
		};
		super(nodeVersions, baseDescription);
	}
}
