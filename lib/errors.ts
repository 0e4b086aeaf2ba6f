/**
 * The one error type of the core. Nodes map it to NodeApiError / NodeOperationError; the
 * retry policy reads `retryable` and `retryAfterMs` instead of guessing from messages.
 */
export type ErrorSource =
	| 'imap'
	| 'smtp'
	| 'graph'
	| 'gmail'
	| 'opencti'
	| 'dsx'
	| 'clamav'
	| 'redis'
	| 'mail'
	| 'config';

export interface MailIntelErrorOptions {
	source: ErrorSource;
	/** HTTP status, or undefined for non-HTTP failures. */
	status?: number;
	/** Machine-readable code: `AUTH_FAILED`, `TLS_SELF_SIGNED`, `syncStateNotFound`, ... */
	code?: string;
	requestId?: string;
	retryable?: boolean;
	/** Server-requested wait (Retry-After), in milliseconds. */
	retryAfterMs?: number;
	/** The parameter or credential field the user should change, when one is to blame. */
	field?: string;
	/** What to do about it, shown to the user as the error description. */
	hint?: string;
	cause?: unknown;
}

export class MailIntelError extends Error {
	readonly source: ErrorSource;
	readonly status?: number;
	readonly code?: string;
	readonly requestId?: string;
	readonly retryable: boolean;
	readonly retryAfterMs?: number;
	readonly field?: string;
	readonly hint?: string;

	constructor(message: string, options: MailIntelErrorOptions) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = 'MailIntelError';
		this.source = options.source;
		this.status = options.status;
		this.code = options.code;
		this.requestId = options.requestId;
		this.retryable = options.retryable ?? false;
		this.retryAfterMs = options.retryAfterMs;
		this.field = options.field;
		this.hint = options.hint;
	}
}

export function isMailIntelError(error: unknown): error is MailIntelError {
	return error instanceof MailIntelError;
}

export function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
 * How a failure is treated, decided in this one place (the ingest core and the attachment
 * pipeline both ask):
 * - `permanent`: a property of the message or of one of its parts (undecodable MIME, the
 *   provider answers 400/403/404/410 for it). Retrying cannot help: record it on the item.
 * - `transient`: the network, a timeout, a throttled or failing server (408/429/5xx after the
 *   transport's own retries), a binary-store write, a cut stream. The scope is retried from the
 *   same cursor next poll.
 * Anything not known to be permanent is transient: a wrong guess then costs a retry (and after
 * the retry budget the failure is recorded anyway), never a silently dropped message.
 */
export type FailureClass = 'transient' | 'permanent';

const PERMANENT_STATUS = new Set([400, 403, 404, 410, 422]);
const PERMANENT_CODES = new Set(['MIME_DECODE', 'NOT_FOUND', 'FORBIDDEN', 'GONE', 'NOT_SUPPORTED']);

export function failureClass(error: unknown): FailureClass {
	if (isMailIntelError(error)) {
		if (error.retryable) return 'transient';
		if (error.code && PERMANENT_CODES.has(error.code)) return 'permanent';
		if (error.status !== undefined && PERMANENT_STATUS.has(error.status)) return 'permanent';
	}
	return 'transient';
}
