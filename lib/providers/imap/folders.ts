import type { ImapFlow } from 'imapflow';

import { MailIntelError } from '../../errors';

/**
 * The folder a remediation writes to (quarantine, audit), created when missing. A name written
 * as a SPECIAL-USE flag (`\Junk`, `\Archive`, RFC 6154) means the server's folder with that use,
 * whatever it is called in this mailbox; a plain name or path is used as it is. Called before
 * the message's mailbox is locked: LIST and CREATE need no selected mailbox.
 */
export async function ensureFolder(client: ImapFlow, name: string): Promise<string> {
	const trimmed = name.trim();
	if (trimmed.startsWith('\\')) {
		const use = trimmed.toLowerCase();
		const listed = await client.list();
		const found = listed.find((box) => box.specialUse?.toLowerCase() === use);
		if (found) return found.path;
		throw new MailIntelError(`this mailbox has no folder with the special use ${trimmed}`, {
			source: 'imap',
			code: 'FOLDER_NOT_FOUND',
			field: 'quarantineFolder',
			hint: 'Give the folder by name instead (it is created when missing).',
		});
	}
	const listed = await client.list();
	// INBOX is case-insensitive (RFC 3501 5.1); every other name is compared as the server lists it.
	const existing = listed.find(
		(box) =>
			box.path === trimmed ||
			(trimmed.toUpperCase() === 'INBOX' && box.path.toUpperCase() === 'INBOX'),
	);
	if (existing) return existing.path;
	try {
		const created = await client.mailboxCreate(trimmed);
		return created.path;
	} catch (error) {
		throw new MailIntelError(
			`the folder "${trimmed}" could not be created: ${(error as Error).message}`,
			{
				source: 'imap',
				code: 'CREATE_FAILED',
				hint: "Check the folder name (the server's hierarchy separator) and the account's rights.",
				cause: error,
			},
		);
	}
}
