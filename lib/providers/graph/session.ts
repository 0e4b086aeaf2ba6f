import { timingSafeEqual } from 'node:crypto';

import { MailIntelError } from '../../errors';
import type { Clock, HttpTimeouts } from '../../http/types';
import type { AttachmentSink, ParsedEmail } from '../../mail/parse';
import type { AttachmentPolicy } from '../../mail/policy';
import { sharedMsalTokenSource, type TokenSource } from './auth';
import { GraphClient, folderPath } from './client';
import type { GraphAppConfig } from './config';
import { emptyCursor, type GraphCursor } from './cursor';
import { sharedHttpsTransport, type HttpsTransport } from './https';
import {
	newestCursor,
	newestSubscription,
	nextSetAt,
	passQueued,
	rememberCursor,
	rememberClientState,
	rememberedClientState,
	rememberSubscription,
	runExclusive,
} from './pass-lock';
import { GraphProvider } from './provider';
import {
	createSubscription,
	deleteSubscription,
	getSubscription,
	needsRenewal,
	newClientState,
	renewSubscription,
	type GraphSubscription,
} from './subscriptions';

/** One mailbox folder the trigger watches (the seed's "asset": `user@contoso.com/Inbox`). */
export interface MailboxScope {
	upn: string;
	folder: string;
}

/** Per-folder state in the node's static data. */
export interface FolderState {
	cursor?: GraphCursor;
	/** `setAt` orders concurrent copies of static data (see reconcileState). */
	subscription?: { id: string; expirationDateTime: string; setAt?: number };
}

/** The trigger's static data ('node'), typed; every field is bounded (one entry per scope). */
export interface GraphTriggerState {
	/** The secret Graph echoes in every notification; compared in constant time. */
	clientState?: string;
	/** Keyed by `scopeKey()`. */
	folders?: Record<string, FolderState>;
}

export interface GraphNotification {
	subscriptionId?: string;
	clientState?: string;
	changeType?: string;
	resource?: string;
	lifecycleEvent?: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed' | string;
}

export interface SessionOptions<T> {
	config: GraphAppConfig;
	scopes: MailboxScope[];
	policy: AttachmentPolicy;
	sink?: AttachmentSink<T>;
	/** Messages received before this are never emitted (first run and full resync). */
	since: Date;
	/** At most this many messages per folder per pass; the rest follows next pass. */
	maxItemsPerPass: number;
	/** Prefix of the process-wide pass lock: workflow id + node id. */
	lockPrefix: string;
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
}

export function scopeKey(scope: MailboxScope): string {
	return `${scope.upn.toLowerCase()}/${scope.folder}`;
}

/** The process-wide pass lock of one folder of one trigger node (see pass-lock.ts). */
export function passLockKey(lockPrefix: string, scope: MailboxScope): string {
	return `${lockPrefix}:${scopeKey(scope)}`;
}

/**
 * Brings a call's copy of static data up to what this process knows is newest: the cursor
 * with the highest `seq`, the subscription record with the latest `setAt`. n8n loads static
 * data when a request starts and saves the whole object when it ends, so overlapping webhook
 * calls would otherwise reject notifications of a just-recreated subscription, or save an
 * old subscription id over a new one. Call it when a call starts and before it returns.
 */
export function reconcileState(
	lockPrefix: string,
	scopes: MailboxScope[],
	state: GraphTriggerState,
): void {
	if (!state.clientState) {
		const remembered = rememberedClientState(lockPrefix);
		if (remembered) state.clientState = remembered;
	}
	for (const scope of scopes) {
		const key = passLockKey(lockPrefix, scope);
		const stored = state.folders?.[scopeKey(scope)];
		const cursor = newestCursor(key, stored?.cursor);
		const subscription = newestSubscription(key, stored?.subscription);
		if (cursor === stored?.cursor && subscription === stored?.subscription) continue;
		const folder = ((state.folders ??= {})[scopeKey(scope)] ??= {});
		if (cursor !== folder.cursor && cursor) folder.cursor = cursor;
		if (subscription !== folder.subscription) {
			if (subscription) folder.subscription = { ...subscription };
			else delete folder.subscription;
		}
	}
}

/**
 * True when every folder this POST asks about already has a pass waiting to start: that pass
 * begins after this POST arrived and sees its messages, so this call has nothing left to do.
 */
export function coveredByQueuedPasses(lockPrefix: string, plan: NotificationPlan): boolean {
	return (
		plan.renew.length === 0 &&
		plan.recreate.length === 0 &&
		plan.deltaFor.every((scope) => passQueued(passLockKey(lockPrefix, scope)))
	);
}

/** Parses the node's mailbox list: one `upn` or `upn/Folder` per line or comma. */
export function parseMailboxList(value: string, defaultFolder = 'Inbox'): MailboxScope[] {
	const scopes: MailboxScope[] = [];
	for (const raw of value
		.split(/[\n,;]+/)
		.map((entry) => entry.trim())
		.filter(Boolean)) {
		const slash = raw.indexOf('/');
		const upn = (slash < 0 ? raw : raw.slice(0, slash)).trim();
		const folder = (slash < 0 ? '' : raw.slice(slash + 1)).trim() || defaultFolder;
		if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(upn)) {
			throw new MailIntelError(`"${raw}" is not a mailbox address`, {
				source: 'config',
				code: 'BAD_CONFIG',
				field: 'mailboxes',
				hint: 'List user principal names (user@contoso.com), optionally with a folder: user@contoso.com/Finance.',
			});
		}
		if (!scopes.some((scope) => scopeKey(scope) === scopeKey({ upn, folder })))
			scopes.push({ upn, folder });
	}
	if (scopes.length === 0) {
		throw new MailIntelError('No mailbox given', {
			source: 'config',
			code: 'BAD_CONFIG',
			field: 'mailboxes',
			hint: 'Enter at least one mailbox UPN, e.g. soc@contoso.com.',
		});
	}
	return scopes;
}

/** Constant-time clientState check (equal-length buffers for timingSafeEqual). */
export function clientStateMatches(expected: string | undefined, given: unknown): boolean {
	if (!expected || typeof given !== 'string') return false;
	const a = Buffer.from(expected, 'utf8');
	const b = Buffer.from(given, 'utf8');
	if (a.length !== b.length) {
		timingSafeEqual(a, a); // same work either way
		return false;
	}
	return timingSafeEqual(a, b);
}

export interface NotificationPlan {
	/** Notifications whose clientState matched a subscription we own. */
	accepted: number;
	rejected: number;
	/** Folders that need a delta pass. */
	deltaFor: MailboxScope[];
	renew: MailboxScope[];
	recreate: MailboxScope[];
}

/** The notifications of one POST body; anything that is not Graph's `{ value: [...] }` has none. */
export function notificationsOf(body: unknown): GraphNotification[] {
	const value = (body as { value?: unknown } | undefined)?.value;
	return Array.isArray(value) ? (value as GraphNotification[]) : [];
}

/**
 * Sorts a notification POST (or the merged notifications of a burst): which notifications
 * are ours (known subscription id and the right clientState, compared in constant time),
 * which folders need a delta pass, which subscriptions need renewal or re-creation. Needs no
 * network.
 */
export function triageNotifications(
	body: unknown,
	state: GraphTriggerState,
	scopes: MailboxScope[],
): NotificationPlan {
	const plan: NotificationPlan = {
		accepted: 0,
		rejected: 0,
		deltaFor: [],
		renew: [],
		recreate: [],
	};
	const add = (list: MailboxScope[], scope: MailboxScope) => {
		if (!list.some((s) => scopeKey(s) === scopeKey(scope))) list.push(scope);
	};
	for (const notification of notificationsOf(body)) {
		const id = notification?.subscriptionId;
		const scope = id
			? scopes.find((candidate) => state.folders?.[scopeKey(candidate)]?.subscription?.id === id)
			: undefined;
		if (!scope || !clientStateMatches(state.clientState, notification?.clientState)) {
			plan.rejected++;
			continue;
		}
		plan.accepted++;
		switch (notification.lifecycleEvent) {
			case 'reauthorizationRequired':
				add(plan.renew, scope);
				break;
			case 'subscriptionRemoved':
				add(plan.recreate, scope);
				add(plan.deltaFor, scope);
				break;
			default:
				// `missed`, and every change notification: the delta pass is the source of truth.
				add(plan.deltaFor, scope);
		}
	}
	return plan;
}

/**
 * The core shared by the webhook and the polling node: delta passes with the bounded
 * emitted-set, subscription life cycle, and notification triage. No n8n import.
 */
export class GraphMailSession<T> {
	readonly client: GraphClient;
	private readonly transport: HttpsTransport;
	private readonly providers = new Map<string, GraphProvider>();
	private readonly tokens: TokenSource;

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
	}

	get scopes(): MailboxScope[] {
		return this.options.scopes;
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
			});
			this.providers.set(key, provider);
		}
		return provider;
	}

	/**
	 * One delta pass for a folder, serialized per folder across concurrent webhook calls.
	 * The new cursor is written to `state` before the parsed messages are returned (the caller
	 * emits them): a crash in between loses nothing, because n8n saves static data with the run.
	 * Returns undefined when another pass already queued will cover this call.
	 */
	async deltaPass(
		scope: MailboxScope,
		state: GraphTriggerState,
	): Promise<ParsedEmail<T>[] | undefined> {
		const lock = passLockKey(this.options.lockPrefix, scope);
		const outcome = await runExclusive(lock, async () => {
			const folder = ((state.folders ??= {})[scopeKey(scope)] ??= {});
			const start = newestCursor(lock, folder.cursor) ?? emptyCursor();
			const provider = this.provider(scope.upn);
			const parsed: ParsedEmail<T>[] = [];
			const filter = this.options.filenameFilter;
			const policy: AttachmentPolicy = filter
				? { ...this.options.policy, filenameFilter: (name) => filter(`${scope.folder}/${name}`) }
				: this.options.policy;
			let cursor: GraphCursor | undefined;
			const pages = provider
				.changes(scope.folder, start, {
					since: this.options.since,
					limit: this.options.maxItemsPerPass,
				})
				[Symbol.asyncIterator]();
			// The delta chain is sequential; the attachment requests are not. Each page's messages
			// start downloading as soon as the page arrives, while the next page is asked for, so
			// the mailbox's four request slots stay busy across page boundaries.
			const downloads: Promise<ParsedEmail<T>[]>[] = [];
			for (let next = pages.next(); ; ) {
				const page = await next;
				if (page.done) break;
				next = pages.next();
				const download = Promise.all(
					page.value.messages.map((summary) => provider.fetch(summary, policy, this.options.sink)),
				);
				download.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
				downloads.push(download);
				cursor = page.value.cursor;
			}
			for (const fetched of await Promise.all(downloads)) parsed.push(...fetched);
			if (cursor) {
				folder.cursor = cursor;
				rememberCursor(lock, cursor);
			}
			return parsed;
		});
		return outcome.ran ? outcome.value : undefined;
	}

	/** True when every scope has a live subscription on Graph pointing at `notificationUrl`. */
	async subscriptionsExist(state: GraphTriggerState, notificationUrl: string): Promise<boolean> {
		for (const scope of this.options.scopes) {
			const known = state.folders?.[scopeKey(scope)]?.subscription;
			if (!known || !state.clientState) return false;
			const live = await getSubscription(this.client, known.id, scope.upn);
			if (!live || (live.notificationUrl && live.notificationUrl !== notificationUrl)) return false;
		}
		return true;
	}

	/** Creates what is missing (after removing stale ones) and records them in state. */
	async createSubscriptions(
		state: GraphTriggerState,
		notificationUrl: string,
	): Promise<GraphSubscription[]> {
		state.clientState ??= newClientState();
		const created: GraphSubscription[] = [];
		for (const scope of this.options.scopes)
			created.push(await this.recreate(scope, state, notificationUrl));
		return created;
	}

	async recreate(
		scope: MailboxScope,
		state: GraphTriggerState,
		notificationUrl: string,
	): Promise<GraphSubscription> {
		state.clientState ??= newClientState();
		rememberClientState(this.options.lockPrefix, state.clientState);
		const folder = ((state.folders ??= {})[scopeKey(scope)] ??= {});
		if (folder.subscription)
			await deleteSubscription(this.client, folder.subscription.id, scope.upn);
		const subscription = await createSubscription(this.client, {
			upn: scope.upn,
			folder: scope.folder,
			notificationUrl,
			lifecycleNotificationUrl: notificationUrl,
			clientState: state.clientState,
		});
		folder.subscription = {
			id: subscription.id,
			expirationDateTime: subscription.expirationDateTime,
			setAt: nextSetAt(),
		};
		rememberSubscription(passLockKey(this.options.lockPrefix, scope), folder.subscription);
		return subscription;
	}

	async renew(
		scope: MailboxScope,
		state: GraphTriggerState,
		notificationUrl: string,
	): Promise<void> {
		const folder = state.folders?.[scopeKey(scope)];
		if (!folder?.subscription) {
			await this.recreate(scope, state, notificationUrl);
			return;
		}
		try {
			const renewed = await renewSubscription(this.client, folder.subscription.id, scope.upn);
			folder.subscription = {
				...folder.subscription,
				expirationDateTime: renewed.expirationDateTime,
				setAt: nextSetAt(),
			};
			rememberSubscription(passLockKey(this.options.lockPrefix, scope), folder.subscription);
		} catch (error) {
			// Graph forgot it (expired, removed): a new one, and the caller's delta pass covers the gap.
			if (error instanceof MailIntelError && error.status === 404)
				await this.recreate(scope, state, notificationUrl);
			else throw error;
		}
	}

	/** Renews every subscription with less than 24 h left; returns the scopes renewed. */
	async renewDue(
		state: GraphTriggerState,
		notificationUrl: string,
		now = Date.now(),
	): Promise<MailboxScope[]> {
		const renewed: MailboxScope[] = [];
		for (const scope of this.options.scopes) {
			const subscription = state.folders?.[scopeKey(scope)]?.subscription;
			if (subscription && needsRenewal(subscription.expirationDateTime, now)) {
				await this.renew(scope, state, notificationUrl);
				renewed.push(scope);
			}
		}
		return renewed;
	}

	async deleteSubscriptions(state: GraphTriggerState): Promise<void> {
		for (const scope of this.options.scopes) {
			const folder = state.folders?.[scopeKey(scope)];
			if (!folder?.subscription) continue;
			await deleteSubscription(this.client, folder.subscription.id, scope.upn);
			delete folder.subscription;
			rememberSubscription(passLockKey(this.options.lockPrefix, scope), undefined);
		}
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
