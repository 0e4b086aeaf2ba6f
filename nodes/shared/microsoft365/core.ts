import type {
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { MailIntelError, errorMessage } from '../../../lib/errors';
import { compileFilenameFilter } from '../../../lib/mail/filename-filter';
import { MicrosoftGraphAppApi } from '../../../credentials/MicrosoftGraphAppApi.credentials';
import {
	GraphMailSession,
	createHttpsTransport,
	createMsalTokenSource,
	graphUnreachable,
	parseMailboxList,
	validateGraphConfig,
	type GraphAppConfig,
	type MailboxScope,
} from '../../../lib/providers/graph';
import { queueModeSharedPasses } from '../../../lib/ingest/queue-mode';
import { ownerKey } from '../../../lib/state/registry';
import { policyFromParameters, type AttachmentOptionValues } from '../attachment-options';
import { n8nBinarySink } from '../binary-sink';
import { startDateFrom } from '../start-date';

/** What both trigger nodes read from their parameters besides the folders (readScopes). */
export interface TriggerParameters {
	attachmentFilter: string;
	options: AttachmentOptionValues & {
		includeItemAttachments?: boolean;
		maxItemsPerRun?: number;
		relativeImportStartDate?: string;
	};
}

/** The n8n context members the core needs; every trigger context (poll, webhook, hook) has them. */
interface TriggerContext {
	getNodeParameter(name: string, fallback?: unknown): unknown;
	getCredentials<T extends object = ICredentialDataDecryptedObject>(type: string): Promise<T>;
	getWorkflow(): { id?: string };
	getNode(): { id: string; name: string };
	getMode(): string;
	helpers: object;
	logger: {
		warn(message: string, meta?: object): void;
		debug(message: string, meta?: object): void;
	};
}

export const CREDENTIAL_NAME = 'microsoftGraphAppApi';

/** The poll node's "Max Emails per Run" default (per folder). */
export const DEFAULT_MAX_ITEMS_PER_RUN = 500;

export function graphConfigFrom(credentials: ICredentialDataDecryptedObject): GraphAppConfig {
	const certificate = credentials.authType === 'certificate';
	return validateGraphConfig({
		tenantId: String(credentials.tenantId ?? ''),
		clientId: String(credentials.clientId ?? ''),
		...(certificate
			? {
					privateKeyPem: String(credentials.privateKey ?? ''),
					certificateThumbprintSha256: String(credentials.certificateThumbprint ?? ''),
				}
			: { clientSecret: String(credentials.clientSecret ?? '') }),
		authorityHost: String(credentials.authorityHost ?? ''),
		graphBaseUrl: String(credentials.graphBaseUrl ?? ''),
		ca: String(credentials.caCertificate ?? ''),
	});
}

export function readParameters(context: TriggerContext): TriggerParameters {
	return {
		attachmentFilter: String(context.getNodeParameter('attachmentFilter', '')),
		options: context.getNodeParameter('options', {}) as TriggerParameters['options'],
	};
}

/**
 * The watched folders alone: what a notification needs before it knows whether it has work
 * (two parameter reads instead of all of them; each costs n8n a parameter resolution).
 */
export function readScopes(context: Pick<TriggerContext, 'getNodeParameter'>): MailboxScope[] {
	return parseMailboxList(
		String(context.getNodeParameter('mailboxes', '')),
		String(context.getNodeParameter('defaultFolder', 'Inbox') || 'Inbox'),
	);
}

/**
 * Names this node of this workflow in process memory (lib/state/registry.ts): a manual run
 * (Fetch Test Event, a test webhook) is another owner, so it never shares a pass lock or a
 * remembered cursor with the active trigger.
 */
export function lockPrefixOf(
	context: Pick<TriggerContext, 'getWorkflow' | 'getNode' | 'getMode'>,
): string {
	const node = context.getNode();
	return ownerKey(context.getWorkflow().id, node.id ?? node.name, context.getMode() === 'manual');
}

/**
 * Builds the lib session for one run of a node (one webhook call, one poll, one hook).
 * `drain`: no per-run cap (the webhook node, see webhookTriggerOptions).
 */
export async function openSession(
	context: TriggerContext,
	{ drain = false }: { drain?: boolean } = {},
): Promise<GraphMailSession<IBinaryData>> {
	const parameters = readParameters(context);
	const config = graphConfigFrom(await context.getCredentials(CREDENTIAL_NAME));
	return new GraphMailSession<IBinaryData>({
		config,
		scopes: readScopes(context),
		policy: policyFromParameters(parameters.options),
		// Hook contexts (subscription create/delete) have no binary helpers and emit nothing.
		...(hasBinaryHelpers(context) ? { sink: n8nBinarySink(context) } : {}),
		since: startDateFrom(parameters.options.relativeImportStartDate),
		maxItemsPerPass: drain
			? Number.POSITIVE_INFINITY
			: (parameters.options.maxItemsPerRun ?? DEFAULT_MAX_ITEMS_PER_RUN),
		lockPrefix: lockPrefixOf(context),
		// Webhook calls may reach several n8n processes in queue mode: their passes are shared.
		sharedPasses: drain ? queueModeSharedPasses() : undefined,
		includeItemAttachments: parameters.options.includeItemAttachments ?? false,
		filenameFilter: compileFilenameFilter(parameters.attachmentFilter),
		onThrottle: (info) =>
			context.logger.warn(
				`Graph answered ${info.status}; waiting ${info.waitMs} ms before retrying`,
				{ mailbox: info.mailbox },
			),
	});
}

type BinaryContext = Parameters<typeof n8nBinarySink>[0];

function hasBinaryHelpers(context: { helpers: object }): context is BinaryContext {
	return (
		typeof (context.helpers as Partial<BinaryContext['helpers']>).prepareBinaryData === 'function'
	);
}

/**
 * A credential test answers while the user waits in the credential dialog: one retry at most
 * (a refused connection or a wrong host is not fixed by minutes of backoff).
 */
const CREDENTIAL_TEST_RETRY = { retries: 1, baseDelayMs: 200 };

/** The credential's field labels, so a failure names the field as the user sees it. */
const FIELD_LABELS = new Map(
	new MicrosoftGraphAppApi().properties.map((property) => [property.name, property.displayName]),
);

/** `methods.credentialTest`: a token, then (if a test mailbox is set) that mailbox's folders. */
export async function testGraphCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	let session: GraphMailSession<unknown> | undefined;
	let config: GraphAppConfig | undefined;
	try {
		config = graphConfigFrom(data);
		// Not the shared MSAL app: a test must really ask the token endpoint, quickly.
		const tokenTransport = createHttpsTransport({
			ca: config.ca,
			keepAlive: false,
			retry: CREDENTIAL_TEST_RETRY,
		});
		session = new GraphMailSession({
			config,
			scopes: [],
			policy: policyFromParameters({}),
			since: new Date(),
			maxItemsPerPass: 1,
			lockPrefix: ownerKey(undefined, 'credential-test', true),
			tokens: createMsalTokenSource(config, tokenTransport),
			retry: CREDENTIAL_TEST_RETRY,
		});
		const mailbox = String(data.testMailbox ?? '').trim();
		await session.testAccess(mailbox || undefined).catch((error: unknown) => {
			throw graphUnreachable(config!, error);
		});
		return {
			status: 'OK',
			message: mailbox ? `Token acquired and folders of ${mailbox} read` : 'Token acquired',
		};
	} catch (error) {
		const sentence = errorMessage(error)
			.trimEnd()
			.replace(/([^.!?])$/, '$1.');
		const hint = error instanceof MailIntelError && error.hint ? ` ${error.hint}` : '';
		const field =
			error instanceof MailIntelError && error.field
				? ` Credential field to check: ${FIELD_LABELS.get(error.field) ?? error.field}.`
				: '';
		return { status: 'Error', message: `${sentence}${hint}${field}` };
	} finally {
		session?.close();
	}
}
