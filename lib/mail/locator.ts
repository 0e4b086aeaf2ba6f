import type { MessageRef } from './message-ref';

/**
 * `locator` URIs let an action node find a message again from an item alone:
 *   imap://alice%40example.com@imap.example.com:993/INBOX;UIDVALIDITY=123/;UID=45  (RFC 5092 style)
 *   graph://alice@contoso.com/messages/{immutableId}
 *   gmail://me/messages/{id}
 * The IMAP form carries host and port so a locator is never applied to the wrong server.
 */
export interface ImapLocation {
	host: string;
	port: number;
}

export function formatLocator(ref: MessageRef, imap?: ImapLocation): string {
	switch (ref.provider) {
		case 'imap': {
			if (!imap || ref.uid === undefined || ref.uidValidity === undefined) {
				throw new TypeError('an IMAP locator needs host, port, uid and uidValidity');
			}
			const mailbox = ref.mailbox.split('/').map(encodeURIComponent).join('/');
			// RFC 3986: an IPv6 literal host is written in brackets
			const host =
				imap.host.includes(':') && !imap.host.startsWith('[') ? `[${imap.host}]` : imap.host;
			return `imap://${encodeURIComponent(ref.account)}@${host}:${imap.port}/${mailbox};UIDVALIDITY=${ref.uidValidity}/;UID=${ref.uid}`;
		}
		case 'graph':
			return `graph://${encodeURIComponent(ref.account)}/messages/${encodeURIComponent(ref.id)}`;
		case 'gmail':
			return `gmail://${encodeURIComponent(ref.account)}/messages/${encodeURIComponent(ref.id)}`;
		case 'file':
			// Not actionable: the message lives only in the workflow's data.
			return `file:///${encodeURIComponent(ref.mailbox)}#${ref.id}`;
	}
}

export interface ParsedLocator extends MessageRef {
	host?: string;
	port?: number;
}

const IMAP_LOCATOR =
	/^imap:\/\/([^@/]+)@(\[[0-9A-Fa-f:.]+\]|[^:/[\]]+):(\d+)\/(.+);UIDVALIDITY=(\d+)\/;UID=(\d+)$/;
const API_LOCATOR = /^(graph|gmail):\/\/([^/]+)\/messages\/([^/]+)$/;

/** Inverse of formatLocator; throws a TypeError naming the expected forms. */
export function parseLocator(locator: string): ParsedLocator {
	const imap = IMAP_LOCATOR.exec(locator);
	if (imap) {
		const [, account, host, port, mailbox, uidValidity, uid] = imap;
		return {
			provider: 'imap',
			account: decodeURIComponent(account),
			host: host.startsWith('[') ? host.slice(1, -1) : host,
			port: Number(port),
			mailbox: mailbox.split('/').map(decodeURIComponent).join('/'),
			uidValidity,
			uid: Number(uid),
			id: `${uidValidity}:${uid}`,
		};
	}
	const api = API_LOCATOR.exec(locator);
	if (api) {
		const [, provider, account, id] = api;
		return {
			provider: provider as 'graph' | 'gmail',
			account: decodeURIComponent(account),
			mailbox: '',
			id: decodeURIComponent(id),
		};
	}
	throw new TypeError(
		`"${locator}" is not a message locator; expected imap://user@host:port/MAILBOX;UIDVALIDITY=n/;UID=n, graph://user/messages/id or gmail://user/messages/id`,
	);
}
