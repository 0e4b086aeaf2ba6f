import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { isMailIntelError, errorMessage, MailIntelError } from '../../lib/errors';
import { GraphMailSession } from '../../lib/providers/graph';
import { ImapProvider, sharedImapPool } from '../../lib/providers/imap';
import {
	readLocation,
	sendAttachment,
	type ProviderOpeners,
} from '../../lib/scan/dsx-connect/read-location';
import type { ScanRequest } from '../../lib/scan/dsx-connect/types';
import { imapSettingsFrom } from '../EmailIntelImapTrigger/parameters';
import { policyFromParameters } from '../shared/attachment-options';
import { graphConfigFrom } from '../shared/microsoft365/core';
import type { VerifiedCall } from './inbound';
import { ownerOf } from './owner';

/** The mailbox credentials the user chose under "Read Attachments From". */
function openers(context: IWebhookFunctions): ProviderOpeners {
	const chosen = String(context.getNodeParameter('mailProviders', 'graph'));
	const result: ProviderOpeners = {};
	if (chosen === 'imap' || chosen === 'both')
		result.imap = async (message) => {
			const settings = imapSettingsFrom(await context.getCredentials('emailIntelImapApi'));
			// The locator names its server: never read another server's UID with this login.
			if (
				settings.host.toLowerCase() !== (message.host ?? '').toLowerCase() ||
				settings.port !== message.port ||
				settings.user.toLowerCase() !== message.account.toLowerCase()
			)
				throw new MailIntelError(
					`the location names ${message.account} at ${message.host}:${message.port}, but the IMAP credential is ${settings.user} at ${settings.host}:${settings.port}`,
					{
						source: 'dsx',
						status: 404,
						code: 'NOT_FOUND',
						field: 'emailIntelImapApi',
						hint: 'Give the connector the IMAP credential of the mailbox the scanned items came from.',
					},
				);
			return new ImapProvider(settings, { pool: sharedImapPool() });
		};
	if (chosen === 'graph' || chosen === 'both')
		result.graph = async (message) => {
			const session = new GraphMailSession({
				config: graphConfigFrom(await context.getCredentials('microsoftGraphAppApi')),
				scopes: [],
				policy: policyFromParameters({}),
				since: new Date(),
				maxItemsPerPass: 1,
				lockPrefix: ownerOf(context),
			});
			const provider = session.provider(message.account);
			return {
				attachment: (ref, id) => provider.attachment(ref, id),
				close: async () => session.close(),
			};
		};
	return result;
}

/** dsx-connect's read_file answers: bytes, or a StatusResponse with a status it understands. */
function statusFor(error: unknown): number {
	if (!isMailIntelError(error)) return 500;
	if (error.code === 'BAD_LOCATION') return 400;
	if (error.code === 'NOT_SUPPORTED' || error.code === 'NO_CREDENTIAL') return 501;
	if (error.status === 404 || error.status === 410 || error.code === 'NOT_FOUND') return 404;
	return 502;
}

/**
 * `POST {connector}/read_file`: streams the attachment the location names, straight from the
 * provider's stream to the response (never buffered whole). Runs no workflow.
 */
export async function readFile(
	context: IWebhookFunctions,
	call: VerifiedCall,
): Promise<IWebhookResponseData> {
	const res = context.getResponseObject();
	let location = '';
	try {
		location = (JSON.parse(call.body.toString('utf8')) as ScanRequest).location;
		const opened = await readLocation(location, openers(context));
		res.writeHead(200, {
			'content-type': 'application/octet-stream',
			'x-content-type-options': 'nosniff',
		});
		await sendAttachment(opened, res);
	} catch (error) {
		context.logger.warn(
			`DSX Connect Connector: read_file of "${location}" failed: ${errorMessage(error)}`,
		);
		if (!res.headersSent) {
			res.writeHead(statusFor(error), { 'content-type': 'application/json' });
			res.end(
				JSON.stringify({
					status: 'error',
					message: errorMessage(error),
					description: isMailIntelError(error) ? (error.hint ?? null) : null,
				}),
			);
		} else res.destroy();
	}
	return { noWebhookResponse: true };
}
