import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { MailIntelError } from '../../errors';
import type { MailProvider, MessageRef } from '../../providers/types';
import { parseLocation, type AttachmentLocation } from './location';

/**
 * Where `read_file` gets bytes: the pack's own providers. The node supplies one opener per
 * configured mailbox credential; each returns a provider for the location's account (and, for
 * IMAP, checks the location names the credential's server). The stream is the provider's own:
 * the bytes are never held whole.
 */
/** What read_file needs of a MailProvider. */
export type AttachmentReader = Pick<MailProvider, 'attachment' | 'close'>;

export interface ProviderOpeners {
	imap?: (message: AttachmentLocation['message']) => Promise<AttachmentReader> | AttachmentReader;
	graph?: (message: AttachmentLocation['message']) => Promise<AttachmentReader> | AttachmentReader;
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
	assertReadable(message.provider, location);
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

/** Gmail has no provider in the pack yet (another branch brings it): refuse clearly until then. */
export function assertReadable(provider: string, location: string): void {
	if (provider === 'gmail')
		throw new MailIntelError(`reading Gmail attachments is not supported yet (${location})`, {
			source: 'dsx',
			code: 'NOT_SUPPORTED',
			field: 'location',
			hint: "The DSX Connect connector reads IMAP and Microsoft 365 mailboxes; Gmail follows with the pack's Gmail provider.",
		});
}

/** Pipes the attachment to `destination` (backpressure, no buffering) and releases the provider. */
export async function sendAttachment(
	opened: OpenedAttachment,
	destination: Writable,
): Promise<void> {
	try {
		await pipeline(opened.stream, destination);
	} finally {
		await opened.release();
	}
}
