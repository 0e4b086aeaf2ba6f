import { MailIntelError } from '../../errors';
import { identityOf, newState, type IngestState, type ScopeState } from '../../ingest/state';
import type { GraphCursor } from './cursor';

/** One mailbox folder a trigger watches (the seed's "asset": `user@contoso.com/Inbox`). */
export interface MailboxScope {
	upn: string;
	folder: string;
}

/** A Graph subscription as the trigger remembers it; `setAt` orders concurrent copies (see pass-lock.ts). */
export interface SubscriptionRecord {
	id: string;
	expirationDateTime: string;
	setAt?: number;
}

/** Per folder: the ingest core's cursor, and (webhook node) the folder's subscription. */
export interface FolderState extends ScopeState<GraphCursor> {
	subscription?: SubscriptionRecord;
}

/**
 * Both Microsoft 365 triggers' static data: the ingest core's state (lib/ingest/state.ts) with
 * one entry per configured folder (`scopeKey`), each cursor capped by RECENT_CAP, plus what the
 * webhook node needs for its subscriptions.
 */
export interface GraphTriggerState extends IngestState<GraphCursor> {
	/** The secret Graph echoes in every notification (64 chars); compared in constant time. */
	clientState?: string;
	scopes: Record<string, FolderState>;
}

export function scopeKey(scope: MailboxScope): string {
	return `${scope.upn.toLowerCase()}/${scope.folder}`;
}

/** The tenant and the Graph endpoint: another tenant's delta links mean nothing here. */
export function graphIdentity(config: { tenantId: string; graphBaseUrl?: string }): string {
	return identityOf('graph', config.tenantId, config.graphBaseUrl ?? '');
}

/**
 * Reads static data into today's shape. The shape before the ingest core (no version,
 * `{clientState, folders}`) is migrated as it is: it belonged to this node's credential.
 */
export function readGraphState(stored: unknown, identity: string): GraphTriggerState | undefined {
	const data = stored as
		| (Partial<GraphTriggerState> & { folders?: Record<string, FolderState> })
		| undefined;
	if (!data || typeof data !== 'object') return undefined;
	if (data.version === 2 && data.scopes && data.epoch) return data as GraphTriggerState;
	if (data.version === undefined && (data.folders || data.clientState)) {
		const state = newState<GraphCursor>(identity) as GraphTriggerState;
		if (data.clientState) state.clientState = data.clientState;
		state.scopes = { ...(data.folders ?? {}) };
		return state;
	}
	return undefined;
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
