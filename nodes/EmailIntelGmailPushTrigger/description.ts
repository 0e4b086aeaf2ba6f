import type { INodeProperties } from 'n8n-workflow';

import {
	authenticationProperty,
	ingestOptions,
	labelsProperty,
} from '../EmailIntelGmailTrigger/description';

/** The push trigger's parameters: the polling trigger's, the Pub/Sub topic and how pushes are checked. */
export const pushTriggerProperties: INodeProperties[] = [
	{
		displayName:
			'Google Pub/Sub must reach this n8n over public https: create a push subscription on the topic with this node\'s production webhook URL as endpoint and "Enable authentication" on. If it cannot, use the Email Intel Gmail Trigger (polling) instead.',
		name: 'reachabilityNotice',
		type: 'notice',
		default: '',
	},
	authenticationProperty,
	labelsProperty,
	{
		displayName: 'Pub/Sub Topic',
		name: 'topicName',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'projects/my-project/topics/gmail',
		description:
			'The topic Gmail publishes mailbox changes to (users.watch). gmail-api-push@system.gserviceaccount.com needs the Pub/Sub Publisher role on it.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			...ingestOptions,
			{
				displayName: 'Max Items per Push',
				name: 'maxItemsPerPush',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 1000,
				description:
					'Emails one push hands on at most (in one execution); the rest follows with the next push, in order',
			},
			{
				displayName: 'Push Audience',
				name: 'audience',
				type: 'string',
				default: '',
				placeholder: 'https://n8n.example.com/webhook/…/gmail',
				description:
					"The audience set on the push subscription's authentication. Empty: this node's production webhook URL (Pub/Sub's default).",
			},
			{
				displayName: 'Push Service Account',
				name: 'serviceAccountEmail',
				type: 'string',
				default: '',
				placeholder: 'gmail-push@my-project.iam.gserviceaccount.com',
				description:
					'The service account the push subscription signs its tokens with. Set it: without it any Google-signed token for this audience is accepted.',
			},
			{
				displayName: 'Signing Keys URL (JWKS)',
				name: 'jwksUrl',
				type: 'string',
				default: 'https://www.googleapis.com/oauth2/v3/certs',
				description:
					"Where Google's token signing keys are read. Change it only for a test server standing in for Google.",
			},
		],
	},
];
