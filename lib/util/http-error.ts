import { MailIntelError, type ErrorSource } from '../errors';

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(
	value: string | null | undefined,
	now = Date.now(),
): number | undefined {
	if (!value) return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
	const at = Date.parse(value);
	return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface HttpFailure {
	source: ErrorSource;
	status: number;
	message: string;
	code?: string;
	requestId?: string;
	retryAfter?: string | null;
	hint?: string;
}

/** 408, 429 and 5xx are worth another try; everything else is the caller's to fix. */
export function isRetryableStatus(status: number): boolean {
	return status === 408 || status === 429 || status >= 500;
}

export function httpError(failure: HttpFailure): MailIntelError {
	return new MailIntelError(failure.message, {
		source: failure.source,
		status: failure.status,
		code: failure.code,
		requestId: failure.requestId,
		retryable: isRetryableStatus(failure.status),
		retryAfterMs: parseRetryAfter(failure.retryAfter),
		hint: failure.hint,
	});
}
