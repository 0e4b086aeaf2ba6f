import { MailIntelError } from '../../errors';
import { region } from '../../state/registry';
import { folderPath, userPath, type GraphClient } from './client';

/**
 * Mail folders given by display name or path (`Phishing Reports`, `Inbox/Phishing Reports`),
 * resolved to the folder id Graph's URLs need. Graph addresses a folder only by id or by a
 * well-known name (learn.microsoft.com/graph/api/resources/mailfolder, "Well-known folder
 * names"); a path is walked from the top (`GET /users/{upn}/mailFolders?$filter=displayName eq
 * '…'`, then `…/mailFolders/{id}/childFolders?$filter=…`), as Graph's "Organize Outlook
 * messages" page describes. Well-known names and ids are used as they are, with no request.
 */

/** Graph's well-known folder names (case-insensitive), usable wherever a folder id is. */
const WELL_KNOWN = new Set(
	[
		'archive',
		'clutter',
		'conflicts',
		'conversationhistory',
		'deleteditems',
		'drafts',
		'inbox',
		'junkemail',
		'localfailures',
		'msgfolderroot',
		'outbox',
		'recoverableitemsdeletions',
		'scheduled',
		'searchfolders',
		'sentitems',
		'serverfailures',
		'syncissues',
	].map((name) => name.toLowerCase()),
);

export function isWellKnownFolder(name: string): boolean {
	return WELL_KNOWN.has(name.toLowerCase());
}

/**
 * A Graph folder id: URL-safe base64 of an Exchange entry id, 100+ characters
 * (`AAMkAGI2TG93AAA=`-like, shortened here). No display name a person types looks like it.
 */
export function isFolderId(text: string): boolean {
	return /^[A-Za-z0-9_=-]{60,}$/.test(text);
}

/** Resolved ids stay valid while the folder exists; a day bounds what a deleted folder leaves. */
const FOLDER_ID_TTL_MS = 24 * 3600_000;

const folderIds = region<string>({
	name: 'graph.folderIds',
	holds: 'the folder id of a mail folder the Mailboxes parameter gives by display name or path',
	key: 'owner:credential:upn/path',
	maxEntries: 10_000,
	ttlMs: FOLDER_ID_TTL_MS,
	clearedWhen: 'the workflow is deactivated',
});

interface FolderPage {
	value?: Array<{ id: string; displayName?: string }>;
}

/**
 * Resolves the folders of one node's session. `keyPrefix` is `${owner}:${credential}` (see
 * lib/state/registry.ts): each node resolves a path once, then every poll and webhook call of
 * it reuses the id until the workflow is deactivated or the entry expires.
 */
export class FolderResolver {
	constructor(
		private readonly client: GraphClient,
		private readonly keyPrefix: string,
	) {}

	/** The URL segment for `folder` in `upn`'s mailbox: a well-known name or a folder id. */
	resolve(upn: string, folder: string): Promise<string> {
		return this.walk(upn, folder, (parent, segments, index) =>
			this.child(upn, parent, segments, index, folder),
		);
	}

	/**
	 * Like resolve(), but creates the folders of the path that do not exist yet (quarantine and
	 * audit folders): `POST …/mailFolders` at the top, `POST …/childFolders` below. A 409
	 * ErrorFolderExists (someone created it meanwhile) is answered by looking it up again.
	 */
	ensure(upn: string, folder: string): Promise<string> {
		return this.walk(
			upn,
			folder,
			async (parent, segments, index) =>
				(await this.find(upn, parent, segments[index])) ??
				(await this.create(upn, parent, segments[index])),
		);
	}

	/**
	 * The path walk both share: a well-known name or id alone is used as it is, a cached id is
	 * reused, else each segment below the first well-known/id one is resolved by `step`.
	 */
	private async walk(
		upn: string,
		folder: string,
		step: (parent: string | undefined, segments: string[], index: number) => Promise<string>,
	): Promise<string> {
		const segments = folder
			.split('/')
			.map((segment) => segment.trim())
			.filter(Boolean);
		if (segments.length === 1 && (isWellKnownFolder(segments[0]) || isFolderId(segments[0])))
			return segments[0];
		const key = `${this.keyPrefix}:${upn.toLowerCase()}/${segments.join('/')}`;
		const cached = folderIds.get(key);
		if (cached) return cached;
		let parent: string | undefined;
		for (const [index, name] of segments.entries()) {
			if (index === 0 && (isWellKnownFolder(name) || isFolderId(name))) {
				parent = name;
				continue;
			}
			parent = await step(parent, segments, index);
		}
		folderIds.set(key, parent as string);
		return parent as string;
	}

	private async create(upn: string, parent: string | undefined, name: string): Promise<string> {
		const list = parent
			? `${folderPath(upn, parent)}/childFolders`
			: `${userPath(upn)}/mailFolders`;
		try {
			const { data } = await this.client.json<{ id: string }>({
				method: 'POST',
				url: list,
				mailbox: upn,
				body: { displayName: name },
			});
			return data.id;
		} catch (error) {
			if (error instanceof MailIntelError && error.status === 409) {
				const found = await this.find(upn, parent, name);
				if (found) return found;
			}
			throw error;
		}
	}

	/** The id of folder `name` under `parent` (the top of the mailbox when undefined), if there is one. */
	private async find(
		upn: string,
		parent: string | undefined,
		name: string,
	): Promise<string | undefined> {
		// An OData string literal: a quote inside it is written twice.
		const filter = encodeURIComponent(`displayName eq '${name.replace(/'/g, "''")}'`);
		const list = parent
			? `${folderPath(upn, parent)}/childFolders`
			: `${userPath(upn)}/mailFolders`;
		const { data } = await this.client.json<FolderPage>({
			method: 'GET',
			url: `${list}?$filter=${filter}&$select=id,displayName`,
			mailbox: upn,
		});
		return data.value?.[0]?.id;
	}

	/** The id of folder `segments[index]` under `parent` (the top of the mailbox when undefined). */
	private async child(
		upn: string,
		parent: string | undefined,
		segments: string[],
		index: number,
		configured: string,
	): Promise<string> {
		const name = segments[index];
		const found = await this.find(upn, parent, name);
		if (found) return found;
		throw new MailIntelError(`the mail folder "${configured}" was not found in ${upn}`, {
			source: 'graph',
			code: 'FOLDER_NOT_FOUND',
			field: 'mailboxes',
			hint: `No folder "${name}" ${index > 0 ? `inside "${segments.slice(0, index).join('/')}"` : 'at the top of the mailbox'}. Write the folder as Outlook shows it, with its parents: ${upn}/Inbox/Phishing Reports (a path starts at the top of the mailbox, where Inbox is), or give its folder id.`,
		});
	}
}
