import { MailIntelError } from '../errors';
import { httpError } from '../util/http-error';

/** One GraphQL error as OpenCTI sends it (`extensions.code`: AUTH_REQUIRED, FORBIDDEN_ACCESS, ...). */
export interface GraphQlErrorEntry {
	message: string;
	extensions?: {
		code?: string;
		data?: { http_status?: number } & Record<string, unknown>;
	} & Record<string, unknown>;
}

const TOKEN_HINT =
	'Check the OpenCTI API credential: the URL must be the platform root (e.g. https://opencti.example.com) and the token ' +
	'an API token of an active user (OpenCTI: Profile > API access). ';
const CAPABILITY_HINT =
	'The token\'s user needs the capabilities "Create / Update knowledge" (KNOWLEDGE_KNUPDATE) and "Upload knowledge files" ' +
	'(KNOWLEDGE_KNUPLOAD), and must be allowed to apply the chosen TLP marking.';

const AUTH_CODES = new Set(['AUTH_REQUIRED', 'AuthRequired', 'UNAUTHENTICATED', 'AUTH_FAILURE']);
const FORBIDDEN_CODES = new Set(['FORBIDDEN_ACCESS', 'ForbiddenAccess', 'FORBIDDEN']);

export function authError(status: 401 | 403, detail: string, code?: string): MailIntelError {
	const forbidden = status === 403;
	return new MailIntelError(
		forbidden
			? `OpenCTI refused the operation: the token's user lacks a capability (${detail})`
			: `OpenCTI rejected the API token (${detail})`,
		{
			source: 'opencti',
			status,
			code: code ?? (forbidden ? 'FORBIDDEN_ACCESS' : 'AUTH_REQUIRED'),
			field: 'token',
			hint: forbidden ? CAPABILITY_HINT : TOKEN_HINT + CAPABILITY_HINT,
		},
	);
}

/** An HTTP response that is not a GraphQL answer (502 from a proxy, 401 from the platform). */
export function statusError(
	status: number,
	body: string,
	retryAfter?: string | null,
): MailIntelError {
	const detail = `HTTP ${status}${body ? `: ${body.replace(/\s+/g, ' ').trim().slice(0, 200)}` : ''}`;
	if (status === 401 || status === 403) return authError(status, detail);
	return httpError({
		source: 'opencti',
		status,
		message: `OpenCTI answered ${detail}`,
		retryAfter,
		hint:
			status >= 500
				? 'The platform or a proxy in front of it failed; the request was retried with backoff. Check that OpenCTI is up (its /health endpoint) and retry.'
				: 'Check the OpenCTI URL in the credential: it must be the platform root, without /graphql.',
	});
}

/**
 * GraphQL errors (in a 200 answer, or in a 4xx body): OpenCTI's own message. A 401/403 (the
 * HTTP status, or the `http_status` OpenCTI puts in the error) or an auth code is about the
 * token, whatever the body says: it names the credential field, never "fix the input".
 */
export function graphQlError(
	errors: GraphQlErrorEntry[],
	operation: string,
	httpStatus?: number,
): MailIntelError {
	const first = errors[0] ?? { message: 'unknown GraphQL error' };
	const code = first.extensions?.code;
	const status =
		httpStatus === 401 || httpStatus === 403 ? httpStatus : first.extensions?.data?.http_status;
	if ((code && AUTH_CODES.has(code)) || status === 401) return authError(401, first.message, code);
	if ((code && FORBIDDEN_CODES.has(code)) || status === 403)
		return authError(403, first.message, code);
	const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
	return new MailIntelError(`OpenCTI ${operation} failed: ${first.message}${more}`, {
		source: 'opencti',
		status: first.extensions?.data?.http_status,
		code: code ?? 'GRAPHQL_ERROR',
		retryable: false,
		hint: "This is OpenCTI's own message about the data sent; fix the input it names (or the node options) and run again.",
	});
}

/** fetch() rejects with a TypeError for DNS, refused connections and resets: worth a retry. */
export function networkError(error: unknown, url: string): MailIntelError {
	const cause = (error as { cause?: { code?: string; message?: string } }).cause;
	const detail =
		cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
	return new MailIntelError(`Cannot reach OpenCTI at ${url}: ${detail}`, {
		source: 'opencti',
		code: 'NETWORK',
		retryable: true,
		field: 'url',
		hint: 'Check the URL in the OpenCTI API credential and that the platform is reachable from n8n.',
		cause: error,
	});
}
