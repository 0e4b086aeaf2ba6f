import {
	NodeApiError,
	NodeOperationError,
	type INode,
	type INodeCredentialTestResult,
	type JsonObject,
} from 'n8n-workflow';

import { errorMessage, isMailIntelError, type MailIntelError } from '../../lib/errors';

/**
 * Maps the core's MailIntelError to n8n's error types: API failures (a status or a remote
 * source) become NodeApiError with the HTTP code, everything else NodeOperationError. The
 * description carries the hint and the field to change, so the user sees what to do.
 *
 * Our message is kept word for word. n8n's error classes replace a message that contains a
 * Node error code (`ECONNREFUSED`, `ETIMEDOUT`, `ENOTFOUND`, ...) with a generic sentence
 * ("The service refused the connection - perhaps it is offline"), which drops the host:port
 * and the field to fix; n8n's sentence stays in `messages` for its own UI.
 */
export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (!isMailIntelError(error)) {
		const message = error instanceof Error ? error.message : String(error);
		return keepMessage(
			new NodeOperationError(node, error instanceof Error ? error : message, { itemIndex }),
			message,
		);
	}
	const description = describe(error);
	const isApi =
		error.status !== undefined || ['graph', 'gmail', 'opencti', 'dsx'].includes(error.source);
	if (isApi) {
		return keepMessage(
			new NodeApiError(
				node,
				{
					message: error.message,
					code: error.code ?? null,
					requestId: error.requestId ?? null,
				} as JsonObject,
				{
					message: error.message,
					description,
					httpCode: error.status === undefined ? undefined : String(error.status),
					itemIndex,
				},
			),
			error.message,
		);
	}
	return keepMessage(
		new NodeOperationError(node, error.message, { description, itemIndex }),
		error.message,
	);
}

/**
 * The hint, then the field to change. A 401/403 is always about a credential: it names the
 * credential field, or says to check the node's credential when the core could not tell which.
 */
function describe(error: MailIntelError): string | undefined {
	const denied = error.status === 401 || error.status === 403;
	const field = error.field
		? `${denied ? 'Credential field to check' : 'Field to check'}: ${error.field}`
		: denied
			? `The service refused the node's credential (HTTP ${error.status}): check the credential's token or secret and its permissions`
			: undefined;
	return [error.hint, field].filter(Boolean).join(' — ') || undefined;
}

function keepMessage<T extends NodeApiError | NodeOperationError>(wrapped: T, message: string): T {
	if (message && wrapped.message !== message) wrapped.message = message;
	return wrapped;
}

/** A failed credential test: the message as one sentence, then the hint (what to change). */
export function credentialTestFailure(error: unknown): INodeCredentialTestResult {
	const hint = isMailIntelError(error) && error.hint ? ` ${error.hint}` : '';
	return { status: 'Error', message: `${asSentence(errorMessage(error))}${hint}` };
}

/** Ends the text with one full stop: a server's "Authentication failed." keeps its own. */
function asSentence(text: string): string {
	const trimmed = text.trimEnd();
	return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
