import type { INodeProperties } from 'n8n-workflow';

/** The node's parameters; the webhook paths below are what dsx-connect calls (`{url}/read_file`, `{url}/item_action`). */
export const READ_FILE_PATH = 'dsx/read_file';
export const ITEM_ACTION_PATH = 'dsx/item_action';
/**
 * n8n-workflow names a node's webhooks 'default' or 'setup' only (its WebhookType); n8n gives
 * 'setup' no meaning of its own. item_action (which starts executions and has the activation
 * hooks) is 'default'; read_file is 'setup'.
 */
export const ITEM_ACTION_WEBHOOK = 'default';
export const READ_FILE_WEBHOOK = 'setup';

export const properties: INodeProperties[] = [
	{
		displayName:
			'dsx-connect must reach this n8n at its production webhook URL. Activating the workflow registers the connector with dsx-connect; the DSX Connect node (Submit Scan Request) then queues attachments for scanning.',
		name: 'reachabilityNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Read Attachments From',
		name: 'mailProviders',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'IMAP', value: 'imap' },
			{ name: 'Microsoft 365 (Graph)', value: 'graph' },
			{ name: 'IMAP and Microsoft 365', value: 'both' },
		],
		default: 'graph',
		description:
			'Which mailboxes read_file may read attachments from, with the credentials below (Gmail follows with the pack’s Gmail provider)',
	},
	{
		displayName: 'Respond to Item Action',
		name: 'respond',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'When Last Node Finishes',
				value: 'lastNode',
				description:
					"The first item of the workflow's last node is the answer, e.g. {status: 'success', message: 'moved to Quarantine', item_action: 'move'}",
			},
			{
				name: 'Immediately (Accepted)',
				value: 'onReceived',
				description:
					'Answer 202 "accepted" at once and remediate in the workflow afterwards; dsx-connect then records the action as accepted, not done',
			},
		],
		default: 'lastNode',
	},
	{
		displayName: 'Item Action',
		name: 'itemAction',
		type: 'options',
		options: [
			{ name: 'Delete', value: 'delete' },
			{ name: 'Move', value: 'move' },
			{ name: 'Move and Tag', value: 'movetag' },
			{ name: 'Nothing', value: 'nothing' },
			{ name: 'Tag', value: 'tag' },
		],
		default: 'movetag',
		description:
			'The remediation the connector declares to dsx-connect (shown there, and passed to the workflow with each item_action call)',
	},
	{
		displayName: 'Move Destination',
		name: 'itemActionMoveMetainfo',
		type: 'string',
		default: 'Quarantine',
		description: 'The folder or label a move goes to, as declared to dsx-connect',
		displayOptions: { show: { itemAction: ['move', 'movetag'] } },
	},
	{
		displayName: 'Asset',
		name: 'asset',
		type: 'string',
		default: '',
		placeholder: 'soc@contoso.com',
		description: 'What this connector covers, as dsx-connect shows it (e.g. the mailbox)',
	},
];
