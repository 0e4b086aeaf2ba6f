import { createHash, randomUUID } from 'node:crypto';

/**
 * The static data every trigger of the pack keeps, one typed shape whatever the provider
 * (providers add their own fields beside it, e.g. Graph's subscriptions). It is JSON in n8n's
 * database: read defensively, migrated by version, bounded (one entry per configured scope,
 * each cursor capped by its provider: IMAP EMITTED_KEYS_CAP, Graph RECENT_CAP).
 *
 * The contract (see lib/ingest/core.ts): a scope's cursor is written only after every message
 * before it was built into an item (bodies and attachments stored), and the state is handed to
 * n8n with those items. A scope that fails keeps the cursor it had.
 */
export interface ScopeState<Cursor> {
	/** Where the scope was left: every message before it was emitted (or deliberately passed over). */
	cursor?: Cursor;
}

export const STATE_VERSION = 2;

export interface IngestState<Cursor> {
	/** Bumped when the shape changes, so old static data is migrated, never misread. */
	version: typeof STATE_VERSION;
	/**
	 * A random id born with this state. Process-wide memory (lib/state/registry.ts) that
	 * belongs to this state is keyed by it, so static data that was reset (or copied into a
	 * new workflow) can never meet a stale entry, e.g. a delta link remembered for the old state.
	 */
	epoch: string;
	/**
	 * Fingerprint of the account the cursors belong to (IMAP host + user, Graph tenant + URL).
	 * When the credential points somewhere else, the cursors are dropped: they mean nothing there.
	 */
	identity: string;
	/** One entry per configured scope (mailbox path, `upn/folder`, label); others are dropped. */
	scopes: Record<string, ScopeState<Cursor>>;
}

/** A short, non-reversible fingerprint of the parts that name an account (never a secret). */
export function identityOf(...parts: string[]): string {
	return createHash('sha256')
		.update(parts.map((part) => part.trim().toLowerCase()).join('\u0000'))
		.digest('base64url')
		.slice(0, 16);
}

export function newState<Cursor>(identity: string): IngestState<Cursor> {
	return { version: STATE_VERSION, epoch: randomUUID(), identity, scopes: {} };
}

/**
 * The state to work from: `stored` when it is this shape and this account's, else a new one
 * (a different account's cursors would skip or repeat mail there). Scopes no longer configured
 * are dropped, so the state stays bounded.
 */
export function currentState<Cursor>(
	stored: IngestState<Cursor> | undefined,
	identity: string,
	scopes: string[],
): IngestState<Cursor> {
	if (!stored || stored.version !== STATE_VERSION || stored.identity !== identity)
		return newState(identity);
	const kept: Record<string, ScopeState<Cursor>> = {};
	for (const scope of scopes) if (stored.scopes?.[scope]) kept[scope] = stored.scopes[scope];
	return { ...stored, scopes: kept };
}
