import type { IBinaryData, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';

import { queueModeSharedPasses } from '../../lib/ingest/queue-mode';
import { sharedParseWorkers } from '../../lib/mail/parse-workers';
import {
	GmailPushSession,
	GmailProvider,
	GmailClient,
	gmailIdentity,
	gmailTokens,
	gmailUser,
} from '../../lib/providers/gmail';
import { MailIntelError } from '../../lib/errors';
import { GOOGLE_JWKS_URL, type OidcOptions } from '../../lib/auth/oidc';
import { ownerKey } from '../../lib/state/registry';
import { n8nBinarySink } from '../shared/binary-sink';
import {
	SIGN_IN_WITH_GOOGLE,
	TOKEN_JSON_OR_SERVICE_ACCOUNT,
	gmailConfigFrom,
	gmailParameters,
	type GmailOptionValues,
} from '../EmailIntelGmailTrigger/parameters';

export interface PushOptionValues extends GmailOptionValues {
	maxItemsPerPush?: number;
	audience?: string;
	serviceAccountEmail?: string;
	jwksUrl?: string;
}

type Context = IHookFunctions | IWebhookFunctions;

/** The push trigger's owner key in process memory (the same for its hooks and its webhook calls). */
export function ownerOf(context: Context): string {
	const node = context.getNode();
	return ownerKey(context.getWorkflow().id, node.id ?? node.name, context.getMode() === 'manual');
}

/** The session of one hook or webhook call: parameters and credential read, the provider open. */
export async function openPushSession(
	context: Context,
): Promise<{ session: GmailPushSession<IBinaryData>; topicName: string; close(): Promise<void> }> {
	const options = context.getNodeParameter('options', {}) as PushOptionValues;
	const parameters = gmailParameters(
		context.getNodeParameter('labels', 'INBOX') as string,
		options,
	);
	const authentication = context.getNodeParameter('authentication', 'oAuth2') as string;
	const config = gmailConfigFrom(
		authentication,
		await context.getCredentials(
			authentication === 'oAuth2' ? SIGN_IN_WITH_GOOGLE : TOKEN_JSON_OR_SERVICE_ACCOUNT,
		),
	);
	const user = gmailUser(config);
	const provider = new GmailProvider({
		client: new GmailClient({
			apiBaseUrl: config.apiBaseUrl,
			user,
			tokens: gmailTokens(config),
			onThrottle: (info) =>
				context.logger.warn(
					`Gmail answered ${info.status} (quota); waiting ${info.waitMs} ms before retrying ${info.path}`,
				),
		}),
		account: user,
		parseWorkers: sharedParseWorkers(),
		...(parameters.query ? { query: parameters.query } : {}),
	});
	const sink = n8nBinarySink(context as IWebhookFunctions);
	const session = new GmailPushSession<IBinaryData>({
		provider,
		owner: ownerOf(context),
		identity: gmailIdentity(config),
		source: {
			since: parameters.since,
			labels: parameters.labels,
			policy: parameters.policy,
			sink,
			rawSink: sink,
			keepRaw: parameters.keepRaw,
			concurrency: parameters.concurrency,
		},
		maxItemsPerPass: Math.max(1, Math.floor(options.maxItemsPerPush ?? 1000)),
		retryBudget: parameters.retryBudget,
		// Pushes may reach several n8n processes in queue mode: their passes are shared.
		sharedPasses: queueModeSharedPasses(),
	});
	return { session, topicName: topicOf(context), close: () => provider.close() };
}

/** The configured topic, checked: `projects/{project}/topics/{topic}`. */
export function topicOf(context: Context): string {
	const topic = String(context.getNodeParameter('topicName', '')).trim();
	if (!/^projects\/[^/\s]+\/topics\/[^/\s]+$/.test(topic))
		throw new MailIntelError(`"${topic}" is not a Pub/Sub topic name`, {
			source: 'config',
			code: 'BAD_CONFIG',
			field: 'topicName',
			hint: 'Enter the full topic name, e.g. projects/my-project/topics/gmail.',
		});
	return topic;
}

/** How a push's OIDC token is checked: audience (default this webhook URL), keys, service account. */
export function pushTokenOptions(context: IWebhookFunctions): OidcOptions {
	const options = context.getNodeParameter('options', {}) as PushOptionValues;
	const email = options.serviceAccountEmail?.trim();
	return {
		audience: options.audience?.trim() || (context.getNodeWebhookUrl('default') as string),
		jwksUrl: options.jwksUrl?.trim() || GOOGLE_JWKS_URL,
		...(email ? { email } : {}),
	};
}
