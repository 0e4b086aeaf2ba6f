import type { INodeProperties } from 'n8n-workflow';

/** The mailbox path field of create, rename and delete. */
export const pathField: INodeProperties = {
	displayName: 'Mailbox Path',
	name: 'path',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'Archive/2026',
	description:
		'Full path of the mailbox; the hierarchy separator is the server\'s (Mailbox: List shows it as "delimiter")',
};
