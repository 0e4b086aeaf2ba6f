import { createHash } from 'node:crypto';

import type { Clock, HttpTimeouts } from '../../http/types';
import { ingestAll, type ScopeFailure } from '../../ingest/core';
import { newState } from '../../ingest/state';
import type { SharedPasses } from '../../ingest/shared-passes';
import type { IngestSource } from '../../ingest/source';
import type { AttachmentSink, ParsedEmail } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import { sharedMsalTokenSource, type TokenSource } from './auth';
import { GraphClient, folderPath } from './client';
import type { GraphAppConfig } from './config';
import type { GraphCursor } from './cursor';
import { FolderResolver } from './folders';
import { sharedHttpsTransport, type HttpsTransport } from './https';
import {
	exclusivePass,
	newestCursor,
	passQueued,
	recentActivation,
	rememberActivation,
	type GraphActivation,
} from './pass-lock';
import { GraphProvider } from './provider';
import { graphSource } from './source';
import {
	graphIdentity,
	readGraphState,
	scopeKey,
	type GraphTriggerState,
	type MailboxScope,
} from './state';
import { SubscriptionManager, type UndeletedSubscription } from './subscription-manager';
import type { GraphSubscription } from './subscriptions';
import type { NotificationPlan } from './notifications';

export interface SessionOptions<T> {
	config: GraphAppConfig;
	scopes: MailboxScope[];
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** Messages received before this are never emitted (first run and full resync). */
	since: Date;
	/** At most this many messages per folder per pass; the rest follows next pass. */
	maxItemsPerPass: number;
	/** The trigger node's owner key (lib/state/registry.ts ownerKey): names its process memory. */
	lockPrefix: string;
	/** Passes in a row a message may fail before it is emitted with its failure recorded. */
	retryBudget?: number;
	pageSize?: number;
	includeItemAttachments?: boolean;
	/** rsync-style rules over `folder/filename` (lib/mail/filename-filter.ts). */
	filenameFilter?: (path: string) => boolean;
	onThrottle?: (info: { status: number; waitMs: number; url: string; mailbox?: string }) => void;
	/** Replaceable for tests; defaults to MSAL. */
	tokens?: TokenSource;
	retry?: ConstructorParameters<typeof GraphClient>[0]['retry'];
	/** The clock of retries and mailbox throttles (tests pass a virtual one). */
	clock?: Clock;
	/** Per-attempt HTTP timeouts (connect, response, idle body); lib/http's defaults otherwise. */
	timeouts?: Partial<HttpTimeouts>;
	/** Where several processes serve the webhook: each folder's pass and cursor shared by all. */
	sharedPasses?: SharedPasses;
}

/** What one delta pass of one folder produced. */
export interface PassResult<T> {
	items: ParsedEmail<T>[];
	/** The folder stopped on a transient failure; its cursor stops right before the failed message. */
	failures: ScopeFailure[];
}

/**
 * What both Microsoft 365 triggers share for one run of a node (a poll, a webhook call, a
 * hook): the Graph client, a provider per mailbox, delta passes through the ingest core
 * (lib/ingest), serialized per folder across concurrent webhook calls (pass-lock.ts), and the
 * subscriptions (subscription-manager.ts). No n8n import.
 */
export class GraphMailSession<T> {
	readonly client: GraphClient;
	private readonly transport: HttpsTransport;
	private readonly providers = new Map<string, GraphProvider>();
	private readonly tokens: TokenSource;
	private readonly folders: FolderResolver;

	constructor(private readonly options: SessionOptions<T>) {
		this.transport = sharedHttpsTransport(options.config.ca);
		this.tokens = options.tokens ?? sharedMsalTokenSource(options.config);
		this.client = new GraphClient({
			graphBaseUrl: options.config.graphBaseUrl,
			transport: this.transport,
			tokens: this.tokens,
			onThrottle: options.onThrottle,
			retry: options.retry,
			...(options.clock ? { clock: options.clock } : {}),
			...(options.timeouts ? { timeouts: options.timeouts } : {}),
		});
		// Folder ids belong to a mailbox of a tenant: the owner and the credential name the cache.
		this.folders = new FolderResolver(
			this.client,
			`${options.lockPrefix}:${credentialKey(options.config)}`,
		);
	}

	get scopes(): MailboxScope[] {
		return this.options.scopes;
	}

	get identity(): string {
		return graphIdentity(this.options.config);
	}

	provider(upn: string): GraphProvider {
		const key = upn.toLowerCase();
		let provider = this.providers.get(key);
		if (!provider) {
			provider = new GraphProvider({
				client: this.client,
				account: upn,
				pageSize: this.options.pageSize,
				includeItemAttachments: this.options.includeItemAttachments,
				resolveFolder: (folder) => this.folders.resolve(upn, folder),
			});
			this.providers.set(key, provider);
		}
		return provider;
	}

	/** One folder as a scope of the ingest core. */
	source(scope: MailboxScope): IngestSource<GraphCursor, ParsedEmail<T>> {
		return graphSource(this.provider(scope.upn), scope, {
			since: this.options.since,
			policy: this.options.policy,
			sink: this.options.sink,
			filenameFilter: this.options.filenameFilter,
		});
	}

	/**
	 * Brings static data (mutated in place: n8n saves that object) to the core's state for this
	 * credential: migrated from the shape before the ingest core; started anew for another tenant
	 * (its delta links and subscriptions mean nothing here). An activation whose static data
	 * n8n has not saved yet lends its epoch and clientState (pass-lock.ts rememberActivation).
	 */
	prepareState(data: object): GraphTriggerState {
		const identity = this.identity;
		const stored = readGraphState(data, identity);
		let state: GraphTriggerState;
		if (stored && stored.identity === identity) state = stored;
		else {
			state = newState<GraphCursor>(identity) as GraphTriggerState;
			const activation = recentActivation<GraphActivation>(this.options.lockPrefix);
			if (!stored && activation?.identity === identity) {
				state.epoch = activation.epoch;
				state.clientState = activation.clientState;
			}
		}
		if (state !== data) {
			for (const key of Object.keys(data)) delete (data as Record<string, unknown>)[key];
			Object.assign(data, state);
		}
		return data as GraphTriggerState;
	}

	/** The process-wide key of one folder's pass lock and remembered cursor/subscription. */
	passKey(state: GraphTriggerState, scope: MailboxScope): string {
		return `${this.options.lockPrefix}:${state.epoch}:${scopeKey(scope)}`;
	}

	/**
	 * Brings a call's copy of static data up to what this process knows is newest: the cursor
	 * with the highest `seq`, the subscription record with the latest `setAt`. n8n loads static
	 * data when a request starts and saves the whole object when it ends, so overlapping webhook
	 * calls would otherwise reject notifications of a just-recreated subscription, or save an
	 * old subscription id over a new one. Call it when a call starts and before it returns.
	 */
	reconcile(state: GraphTriggerState): void {
		for (const scope of this.options.scopes) {
			const folder = state.scopes[scopeKey(scope)];
			const cursor = newestCursor(this.passKey(state, scope), folder?.cursor);
			if (cursor && cursor !== folder?.cursor)
				(state.scopes[scopeKey(scope)] ??= {}).cursor = cursor;
		}
		this.subscriptions(state).reconcile(state);
	}

	/**
	 * True when every folder this POST asks about already has a pass waiting to start: that pass
	 * begins after this POST arrived and sees its messages, so this call has nothing left to do.
	 */
	coveredByQueuedPasses(state: GraphTriggerState, plan: NotificationPlan): boolean {
		return (
			plan.renew.length === 0 &&
			plan.recreate.length === 0 &&
			plan.deltaFor.every((scope) => passQueued(this.passKey(state, scope)))
		);
	}

	/**
	 * One delta pass of a folder through the ingest core, serialized per folder across
	 * concurrent webhook calls. The folder's cursor in `state` covers exactly the items returned;
	 * a failure keeps what was built before it (returned) and stops the cursor there. Undefined
	 * when a pass already queued for the folder will cover this call.
	 */
	async pass(scope: MailboxScope, state: GraphTriggerState): Promise<PassResult<T> | undefined> {
		const key = this.passKey(state, scope);
		const outcome = await exclusivePass(
			key,
			() => (state.scopes[scopeKey(scope)] ??= {}),
			async () => {
				const { items, failures } = await ingestAll(state, [this.source(scope)], {
					memoryKey: `${this.options.lockPrefix}:${state.epoch}`,
					limit: this.options.maxItemsPerPass,
					retryBudget: this.options.retryBudget,
				});
				return { items, failures };
			},
			this.options.sharedPasses,
		);
		return outcome.ran ? outcome.value : undefined;
	}

	/** One pass, for callers that want the items or the error (tests, benchmarks). */
	async deltaPass(
		scope: MailboxScope,
		state: Partial<GraphTriggerState>,
	): Promise<ParsedEmail<T>[] | undefined> {
		const prepared = this.prepareState(state);
		const result = await this.pass(scope, prepared);
		if (result && result.items.length === 0 && result.failures.length > 0)
			throw result.failures[0].error;
		return result?.items;
	}

	subscriptions(state: GraphTriggerState): SubscriptionManager {
		return new SubscriptionManager(
			this.client,
			this.options.scopes,
			(scope) => this.passKey(state, scope),
			(scope) => this.folders.resolve(scope.upn, scope.folder),
		);
	}

	subscriptionsExist(state: GraphTriggerState, notificationUrl: string): Promise<boolean> {
		return this.subscriptions(state).allExist(state, notificationUrl);
	}

	/** Activation: subscriptions for every folder; the state's epoch and clientState are remembered until n8n saved them. */
	async createSubscriptions(
		state: GraphTriggerState,
		notificationUrl: string,
	): Promise<GraphSubscription[]> {
		const created = await this.subscriptions(state).createAll(state, notificationUrl);
		rememberActivation(this.options.lockPrefix, {
			epoch: state.epoch,
			clientState: state.clientState as string,
			identity: state.identity,
		});
		return created;
	}

	recreate(scope: MailboxScope, state: GraphTriggerState, url: string): Promise<GraphSubscription> {
		return this.subscriptions(state).recreate(scope, state, url);
	}

	renew(scope: MailboxScope, state: GraphTriggerState, url: string): Promise<void> {
		return this.subscriptions(state).renew(scope, state, url);
	}

	renewDue(
		state: GraphTriggerState,
		url: string,
		now = Date.now(),
		options: { recreateWhenGone?: boolean } = {},
	): Promise<MailboxScope[]> {
		return this.subscriptions(state).renewDue(state, url, now, options);
	}

	deleteSubscriptions(state: GraphTriggerState): Promise<UndeletedSubscription[]> {
		return this.subscriptions(state).deleteAll(state);
	}

	/** The credential test: a token, then one mailbox's folder list. */
	async testAccess(upn?: string): Promise<void> {
		await this.tokens.getAccessToken();
		if (!upn) return;
		await this.client.json({
			method: 'GET',
			url: `${folderPath(upn, '').replace(/\/$/, '')}?$top=1&$select=id,displayName`,
			mailbox: upn,
		});
	}

	close(): void {
		for (const provider of this.providers.values()) void provider.close();
		this.transport.close();
	}
}

/** The credential as a cache key: tenant, Graph endpoint and app, never the secret. */
export function credentialKey(config: GraphAppConfig): string {
	return createHash('sha256')
		.update(`${config.tenantId}|${config.graphBaseUrl}|${config.clientId}`)
		.digest('hex')
		.slice(0, 16);
}
