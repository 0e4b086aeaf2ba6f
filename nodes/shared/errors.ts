import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';

import { isMailIntelError } from '../../lib/errors';

/**
 * Maps the core's MailIntelError to n8n's error types: API failures (a status or a remote
 * source) become NodeApiError with the HTTP code, everything else NodeOperationError. The
 * description carries the hint and the field to change, so the user sees what to do.
 */
export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (!isMailIntelError(error)) {
		return new NodeOperationError(node, error instanceof Error ? error : String(error), {
			itemIndex,
		});
	}
	const description = [error.hint, error.field ? `Field to check: ${error.field}` : undefined]
		.filter(Boolean)
		.join(' — ');
	const isApi =
		error.status !== undefined || ['graph', 'gmail', 'opencti', 'dsx'].includes(error.source);
	if (isApi) {
		return new NodeApiError(
			node,
			{
				message: error.message,
				code: error.code ?? null,
				requestId: error.requestId ?? null,
			} as JsonObject,
			{
				message: error.message,
				description: description || undefined,
				httpCode: error.status === undefined ? undefined : String(error.status),
				itemIndex,
			},
		);
	}
	return new NodeOperationError(node, error.message, {
		description: description || undefined,
		itemIndex,
	});
}
