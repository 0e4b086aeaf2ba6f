import type { INode, NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { MailIntelError } from '../../lib/errors';
import type { ScopeFailure } from '../../lib/ingest/core';
import { shouldReport } from '../../lib/ingest/memory';
import { toNodeError } from './errors';

interface Logger {
	error(message: string, meta?: object): void;
}

/**
 * The trigger error policy of every trigger of the pack. A failure always keeps the scope's
 * cursor (the ingest core guarantees it); what differs is who hears of it:
 * - a person is watching (manual run) or the workflow is being activated (first run, no state
 *   yet): thrown, so the editor shows it and a wrong password fails activation;
 * - later: thrown too, so n8n records an error execution and runs the Error Workflow, but the
 *   same failure (scope + code) at most once an hour per trigger node; repeats are only logged.
 * Returns the error to throw, or undefined when nothing needs to reach the user.
 */
export function failureToReport(
	node: INode,
	logger: Logger,
	owner: string,
	failures: ScopeFailure[],
	options: { label: string; alwaysReport: boolean },
): NodeApiError | NodeOperationError | undefined {
	if (failures.length === 0) return undefined;
	const fresh: ScopeFailure[] = [];
	for (const failure of failures) {
		const key = `${owner}:${failure.scope}:${failure.error.code ?? failure.error.message}`;
		if (options.alwaysReport || shouldReport(key)) fresh.push(failure);
		else
			logger.error(
				`${options.label}: "${failure.scope}": ${failure.error.message}; reported within the last hour, the next poll retries from the same place`,
				{ code: failure.error.code, field: failure.error.field },
			);
	}
	if (fresh.length === 0) return undefined;
	return toNodeError(node, combined(fresh));
}

/** One error for the user: the first failure, naming every scope that failed. */
function combined(failures: ScopeFailure[]): MailIntelError {
	const [first, ...others] = failures;
	const error = first.error;
	if (!error.message.includes(first.scope)) error.message = `"${first.scope}": ${error.message}`;
	if (others.length > 0)
		error.message += ` (also failing: ${others.map((f) => `"${f.scope}": ${f.error.message}`).join('; ')})`;
	return error;
}
