import type { INodeProperties } from 'n8n-workflow';

export const destinationField: INodeProperties = {
	displayName: 'Destination Mailbox',
	name: 'destination',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'Quarantine',
	description: 'Full path of the mailbox (Mailbox: List shows every path)',
};
