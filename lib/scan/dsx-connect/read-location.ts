import type { Readable } from 'node:stream';

import { MailIntelError } from '../../errors';
import type { MailProvider, MessageRef } from '../../providers/types';
import { parseLocation, type AttachmentLocation } from './location';

/**
 * Where `read_file` gets bytes: the pack's own providers. The node supplies one opener per
 * configured mailbox credential; each returns a provider for the location's account (and, for
 * IMAP, checks the location names the credential's server). The stream is the provider's own:
 * the bytes are never held whole.
 */
export interface ProviderOpeners {
	imap?: (message: AttachmentLocation['message']) => Promise<MailProvider> | MailProvider;
	graph?: (message: AttachmentLocation['message']) => Promise<MailProvider> | MailProvider;
}

export interface OpenedAttachment {
	location: AttachmentLocation;
	stream: Readable;
	/** Releases the provider; runs once the stream ends, fails or is destroyed. */
	release: () => Promise<void>;
}

export async function readLocation(
	location: string,
	openers: ProviderOpeners,
): Promise<OpenedAttachment> {
	const parsed = parseLocation(location);
	const { message } = parsed;
	if (message.provider === 'gmail')
		throw new MailIntelError(`reading Gmail attachments is not supported yet (${location})`, {
			source: 'dsx',
			code: 'NOT_SUPPORTED',
			field: 'location',
			hint: 'This connector reads IMAP and Microsoft 365 mailboxes; submit Gmail items once the pack has a Gmail provider.',
		});
	const open = message.provider === 'imap' ? openers.imap : openers.graph;
	if (!open)
		throw new MailIntelError(
			`the connector has no ${message.provider === 'imap' ? 'IMAP' : 'Microsoft 365'} credential to read ${location}`,
			{
				source: 'dsx',
				code: 'NO_CREDENTIAL',
				field: 'mailProviders',
				hint: `Choose ${message.provider === 'imap' ? 'IMAP' : 'Microsoft 365'} under "Read Attachments From" in the DSX Connect Connector trigger and give it that credential.`,
			},
		);
	const provider = await open(message);
	let released = false;
	const release = async () => {
		if (released) return;
		released = true;
		await provider.close();
	};
	try {
		const ref: MessageRef = message;
		const stream = await provider.attachment(ref, parsed.attachmentId);
		stream.once('close', () => void release());
		return { location: parsed, stream, release };
	} catch (error) {
		await release();
		throw error;
	}
}
