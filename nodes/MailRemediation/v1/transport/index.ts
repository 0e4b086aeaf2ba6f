import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { MailIntelError } from '../../../../lib/errors';
import type { ProviderName } from '../../../../lib/mail/types';
import {
	credentialKey,
	GraphClient,
	sharedHttpsTransport,
	sharedMsalTokenSource,
} from '../../../../lib/providers/graph';
import { FolderResolver } from '../../../../lib/providers/graph/folders';
import { GmailRemediator } from '../../../../lib/providers/gmail/remediate';
import { GraphRemediator } from '../../../../lib/providers/graph/remediate';
import { ImapRemediator } from '../../../../lib/providers/imap/remediate';
import { ImapSession } from '../../../../lib/providers/imap/session';
import type { Remediator } from '../../../../lib/remediation';
import { ownerKey } from '../../../../lib/state/registry';
import { openGmail } from '../../../EmailIntelGmailTrigger/poll';
import {
	gmailConfigFrom,
	SIGN_IN_WITH_GOOGLE,
	TOKEN_JSON_OR_SERVICE_ACCOUNT,
} from '../../../EmailIntelGmailTrigger/parameters';
import { imapSettingsFrom } from '../../../shared/imap-credential';
import { graphConfigFrom } from '../../../shared/microsoft365/core';

export const GRAPH_CREDENTIAL = 'microsoftGraphAppApi';
export const IMAP_CREDENTIAL = 'emailIntelImapApi';
/** The Gmail credentials, as on the Gmail trigger; the node's Gmail Authentication picks one. */
export const GMAIL_CREDENTIALS = {
	oAuth2: SIGN_IN_WITH_GOOGLE,
	googleApi: TOKEN_JSON_OR_SERVICE_ACCOUNT,
} as const;

const LABEL_OF: Record<string, string> = {
	[GRAPH_CREDENTIAL]: 'Microsoft Graph (App)',
	[IMAP_CREDENTIAL]: 'Email Intel IMAP',
	[SIGN_IN_WITH_GOOGLE]: 'Email Intel Gmail OAuth2',
	[TOKEN_JSON_OR_SERVICE_ACCOUNT]: 'Email Intel Google (Token JSON or Service Account)',
};

/**
 * The remediators of one execution, one per provider, opened when the first item of that
 * provider comes and closed when the execution ends (one IMAP login for all items).
 */
export class Remediators {
	private readonly open = new Map<ProviderName, Promise<Remediator>>();

	constructor(private readonly context: IExecuteFunctions) {}

	for(provider: ProviderName): Promise<Remediator> {
		let remediator = this.open.get(provider);
		if (!remediator) {
			remediator = this.create(provider);
			this.open.set(provider, remediator);
			// A failed open (wrong credential) is not kept: the next item of it tries again.
			remediator.catch(() => this.open.delete(provider));
		}
		return remediator;
	}

	async close(): Promise<void> {
		const all = [...this.open.values()];
		this.open.clear();
		await Promise.allSettled(all.map(async (remediator) => (await remediator).close()));
	}

	private credentialFor(provider: ProviderName): string | undefined {
		if (provider === 'graph') return GRAPH_CREDENTIAL;
		if (provider === 'imap') return IMAP_CREDENTIAL;
		if (provider !== 'gmail') return undefined;
		const authentication = this.context.getNodeParameter('gmailAuthentication', 0, 'oAuth2');
		return authentication === 'googleApi' ? GMAIL_CREDENTIALS.googleApi : GMAIL_CREDENTIALS.oAuth2;
	}

	private async create(provider: ProviderName): Promise<Remediator> {
		const credential = this.credentialFor(provider);
		if (!credential)
			throw new MailIntelError(`items from "${provider}" cannot be remediated by this node`, {
				source: 'config',
				code: 'NOT_SUPPORTED',
				field: 'provider',
				hint: 'Mail Remediation acts on Microsoft 365 (graph), IMAP and Gmail items. Items parsed from a file have no mailbox to act on.',
			});
		let data;
		try {
			data = await this.context.getCredentials(credential);
		} catch {
			throw new NodeOperationError(
				this.context.getNode(),
				`this item comes from ${provider}, but the node has no ${credential} credential`,
				{
					description: `Select a ${LABEL_OF[credential]} credential on the node: each item is remediated with the credential of its provider.`,
				},
			);
		}
		if (provider === 'gmail') {
			const authentication = credential === GMAIL_CREDENTIALS.googleApi ? 'googleApi' : 'oAuth2';
			return new GmailRemediator(openGmail(gmailConfigFrom(authentication, data)));
		}
		if (provider === 'imap') {
			const settings = imapSettingsFrom(data);
			return new ImapRemediator(new ImapSession(settings), {
				host: settings.host,
				port: settings.port,
			});
		}
		const config = graphConfigFrom(data);
		const client = new GraphClient({
			graphBaseUrl: config.graphBaseUrl,
			transport: sharedHttpsTransport(config.ca),
			tokens: sharedMsalTokenSource(config),
		});
		const node = this.context.getNode();
		const owner = ownerKey(
			this.context.getWorkflow().id,
			node.id ?? node.name,
			this.context.getMode() === 'manual',
		);
		return new GraphRemediator(
			client,
			new FolderResolver(client, `${owner}:${credentialKey(config)}`),
		);
	}
}
