import type { IWebhookFunctions } from 'n8n-workflow';

import { parseDsxHmacHeader, signedPathOf, verifyDsxHmac } from '../../lib/scan/dsx-connect/hmac';
import { currentEnrollment } from './activation';
import { ITEM_ACTION_WEBHOOK, READ_FILE_WEBHOOK } from './description';
import { ownerOf } from './owner';

/** The express request as n8n hands it over: its body parser keeps the raw bytes. */
interface RawRequest {
	method: string;
	originalUrl?: string;
	url: string;
	headers: Record<string, string | string[] | undefined>;
	rawBody?: Buffer;
	readRawBody?: () => Promise<void>;
}

export interface VerifiedCall {
	body: Buffer;
}

/**
 * Verifies one call from dsx-connect before anything else happens: DSX-HMAC over the raw body
 * bytes (never a re-serialised object), ±60 s, a nonce seen before is a replay. A refused call is
 * answered 401 here and nothing runs (no execution, no mailbox access). The signed path may be
 * the public webhook URL's (n8n behind a path-rewriting proxy) or the one n8n saw.
 */
export async function verifyInbound(context: IWebhookFunctions): Promise<VerifiedCall | undefined> {
	const req = context.getRequestObject() as unknown as RawRequest;
	if (req.rawBody === undefined) await req.readRawBody?.();
	const body = req.rawBody ?? Buffer.alloc(0);
	const seen = req.originalUrl ?? req.url;
	const query = new URL(seen, 'http://n8n.invalid').search;
	const webhook =
		context.getWebhookName() === READ_FILE_WEBHOOK ? READ_FILE_WEBHOOK : ITEM_ACTION_WEBHOOK;
	const publicUrl = context.getNodeWebhookUrl(webhook) ?? seen;
	const header = req.headers.authorization;
	const authorization = Array.isArray(header) ? header[0] : header;
	// No DSX-HMAC header at all: refused before anything else, so an anonymous caller can never
	// make this node re-register with dsx-connect (which a restarted n8n does on the first call).
	const verdict = !parseDsxHmacHeader(authorization)
		? ({ ok: false, reason: authorization ? 'malformed' : 'missing' } as const)
		: verifyDsxHmac({
				authorization,
				method: req.method,
				pathAndQuery: [signedPathOf(publicUrl) + query, signedPathOf(seen)],
				body,
				credentials: await currentEnrollment(context),
				owner: ownerOf(context),
			});
	if (verdict.ok) return { body };
	context.logger.warn(
		`DSX Connect Connector: refused a ${req.method} to ${webhook === READ_FILE_WEBHOOK ? 'read_file' : 'item_action'} (${verdict.reason}); nothing was run`,
	);
	const res = context.getResponseObject();
	res.writeHead(401, { 'content-type': 'application/json' });
	res.end(JSON.stringify({ detail: verdict.reason }));
	return undefined;
}
