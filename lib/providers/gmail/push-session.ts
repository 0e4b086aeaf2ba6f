import { verifyGoogleOidcToken, type OidcOptions } from '../../auth/oidc';
import { ingestAll, type ScopeFailure } from '../../ingest/core';
import {
	exclusivePass,
	newestCursor,
	passQueued,
	recentActivation,
	rememberActivation,
} from '../../ingest/pass-lock';
import type { SharedPasses } from '../../ingest/shared-passes';
import { newState } from '../../ingest/state';
import type { GmailCursor } from './cursor';
import { laterHistoryId } from './cursor';
import type { GmailProvider } from './provider';
import { parsePush, startWatch, stopWatch, WATCH_RENEW_AFTER_MS, type GmailPush } from './push';
import { gmailSource, type GmailItem, type GmailSourceOptions } from './source';
import { readGmailState, type GmailTriggerState } from './state';

/** The watch an activation made (users.watch), kept in static data beside the cursor. */
export interface GmailWatchRecord {
	topicName: string;
	labels: string[];
	/** The mailbox's address (users.getProfile): a push naming another mailbox is not ours. */
	emailAddress: string;
	/** Milliseconds since the epoch: when Gmail stops publishing unless the watch is renewed. */
	expiration: number;
	/** When the watch was last set (renewed a day later). */
	setAt: number;
}

/** The push trigger's static data: the ingest state of the poll trigger, and the watch. */
export interface GmailPushState extends GmailTriggerState {
	watch?: GmailWatchRecord;
}

/** What an activation lends webhook calls until n8n has saved its static data. */
interface GmailActivation {
	epoch: string;
	identity: string;
	watch: GmailWatchRecord;
}

export interface GmailPushSessionOptions<T> {
	provider: GmailProvider;
	/** The trigger node's owner key (lib/state/registry.ts ownerKey): names its process memory. */
	owner: string;
	/** lib/providers/gmail/config.ts gmailIdentity: whose cursor this is. */
	identity: string;
	source: GmailSourceOptions<T>;
	/** Messages one pass hands on at most; the rest follows with the next push. */
	maxItemsPerPass: number;
	retryBudget?: number;
	/** Where several processes serve the webhook: the mailbox's pass and cursor shared by all. */
	sharedPasses?: SharedPasses;
}

export interface GmailPassResult<T> {
	items: GmailItem<T>[];
	failures: ScopeFailure[];
	/** Messages wait beyond the pass's limit. */
	more: boolean;
}

/**
 * A Pub/Sub push, checked: the OIDC bearer token Google signs for the push subscription
 * (RS256 against the JWKS, issuer, audience, expiry, the service account when configured),
 * then the body. Rejects with status 401 (token) or 400 (body); the caller ignores the push.
 */
export async function verifyGmailPush(
	authorization: string | undefined,
	body: unknown,
	options: OidcOptions,
): Promise<GmailPush> {
	await verifyGoogleOidcToken(authorization, { source: 'gmail', ...options });
	return parsePush(body);
}

/**
 * The Gmail push trigger's work, without n8n: the watch (created, renewed, stopped) and the
 * history pass a push starts. The pass is the polling trigger's own (gmailSource through the
 * ingest core: cursor committed with the items), serialized per mailbox across concurrent
 * webhook calls (lib/ingest/pass-lock.ts): a push arriving while a pass runs queues one pass
 * after it, and pushes arriving while that one waits ride on it.
 */
export class GmailPushSession<T> {
	constructor(private readonly options: GmailPushSessionOptions<T>) {}

	get scope(): string {
		return this.options.provider.account;
	}

	/**
	 * Static data (mutated in place: n8n saves that object) as this account's push state. A
	 * state of another account starts anew; an activation that n8n has not saved yet lends its
	 * epoch and watch record.
	 */
	prepareState(data: object): GmailPushState {
		const stored = readGmailState(data) as GmailPushState | undefined;
		if (stored && stored.identity === this.options.identity) return stored;
		const state = newState<GmailCursor>(this.options.identity) as GmailPushState;
		const activation = recentActivation<GmailActivation>(this.options.owner);
		if (!stored && activation?.identity === this.options.identity) {
			state.epoch = activation.epoch;
			state.watch = activation.watch;
		}
		for (const key of Object.keys(data)) delete (data as Record<string, unknown>)[key];
		Object.assign(data, state);
		return data as GmailPushState;
	}

	/** The process-wide key of this mailbox's pass lock and remembered cursor. */
	passKey(state: GmailPushState): string {
		return `${this.options.owner}:${state.epoch}:${this.scope}`;
	}

	/** The cursor to work from: static data's or the newer one this process stored. */
	cursor(state: GmailPushState): GmailCursor | undefined {
		return newestCursor(this.passKey(state), state.scopes[this.scope]?.cursor);
	}

	/**
	 * True when a push says nothing the cursor does not cover: its history id is at or before
	 * the cursor's (a late or repeated push), or a pass waiting to start will read it anyway.
	 */
	covered(state: GmailPushState, push: GmailPush): boolean {
		if (passQueued(this.passKey(state))) return true;
		const cursor = this.cursor(state);
		if (!cursor?.historyId || cursor.syncing) return false;
		return laterHistoryId(cursor.historyId, push.historyId) === cursor.historyId;
	}

	/**
	 * One history pass through the ingest core. `state`'s cursor covers exactly the items
	 * returned; undefined when a pass already queued covers this call.
	 */
	async pass(state: GmailPushState): Promise<GmailPassResult<T> | undefined> {
		const key = this.passKey(state);
		const outcome = await exclusivePass(
			key,
			() => (state.scopes[this.scope] ??= {}),
			async (start) => {
				const result = await ingestAll(
					state,
					[gmailSource(this.options.provider, this.options.source)],
					{
						memoryKey: `${this.options.owner}:${state.epoch}`,
						limit: this.options.maxItemsPerPass,
						retryBudget: this.options.retryBudget,
					},
				);
				const scope = state.scopes[this.scope];
				if (scope.cursor) scope.cursor = { ...scope.cursor, seq: (start?.seq ?? 0) + 1 };
				return result;
			},
			this.options.sharedPasses,
		);
		return outcome.ran ? outcome.value : undefined;
	}

	/**
	 * Activation: `users.watch` on the topic, recorded in `state`. The cursor is left alone: the
	 * first push runs the polling trigger's first run (the start window), and a cursor kept from
	 * an earlier activation brings the mail that arrived meanwhile. What the activation wrote is
	 * lent to webhook calls until n8n has saved it.
	 */
	async watch(state: GmailPushState, topicName: string, now = Date.now()): Promise<void> {
		const labels = this.options.source.labels;
		const client = this.options.provider.client;
		const profile = await client.json<{ emailAddress: string }>({ path: 'profile' });
		const answer = await startWatch(client, topicName, labels);
		state.watch = {
			topicName,
			labels: [...labels],
			emailAddress: profile.emailAddress,
			expiration: answer.expiration,
			setAt: now,
		};
		rememberActivation<GmailActivation>(this.options.owner, {
			epoch: state.epoch,
			identity: state.identity,
			watch: state.watch,
		});
	}

	/** The watch in `state` is for this topic and these labels (renewed or not). */
	watchMatches(state: GmailPushState, topicName: string): boolean {
		const watch = state.watch;
		return (
			watch !== undefined &&
			watch.topicName === topicName &&
			sameLabels(watch.labels, this.options.source.labels)
		);
	}

	/**
	 * A renewal round: `users.watch` again when the watch is a day old (Google's advice) or
	 * expires within a day. True when it renewed. A second watch replaces the first.
	 */
	async renewDue(state: GmailPushState, now = Date.now()): Promise<boolean> {
		if (!state.watch || !watchDue(state.watch, now)) return false;
		await this.watch(state, state.watch.topicName, now);
		return true;
	}

	/** Deactivation: `users.stop`; the record goes, the cursor stays for a later activation. */
	async stop(state: GmailPushState): Promise<void> {
		await stopWatch(this.options.provider.client);
		delete state.watch;
	}

	/** The push is about another mailbox (a topic several mailboxes publish to). */
	foreign(state: GmailPushState, push: GmailPush): boolean {
		const address = state.watch?.emailAddress;
		return address !== undefined && address.toLowerCase() !== push.emailAddress.toLowerCase();
	}
}

function watchDue(watch: GmailWatchRecord, now: number): boolean {
	return now - watch.setAt >= WATCH_RENEW_AFTER_MS || watch.expiration - now < WATCH_RENEW_AFTER_MS;
}

function sameLabels(a: string[], b: string[]): boolean {
	return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}
