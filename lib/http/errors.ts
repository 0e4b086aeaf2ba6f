import { MailIntelError, type ErrorSource } from '../errors';

/** Which wait of an attempt ran out, or where the connection broke. */
export type Phase = 'connect' | 'response' | 'body';

/** A timer of ours that ran out; carried as the `cause` of the MailIntelError. */
export class HttpTimeoutError extends Error {
	readonly code = 'TIMEOUT';
	constructor(
		readonly phase: Phase,
		readonly timeoutMs: number,
	) {
		super(
			phase === 'connect'
				? `no connection within ${timeoutMs} ms`
				: phase === 'response'
					? `no response within ${timeoutMs} ms`
					: `the response body stalled for ${timeoutMs} ms`,
		);
		this.name = 'HttpTimeoutError';
	}
}

export interface FailureContext {
	source: ErrorSource;
	method: string;
	url: URL;
	clientRequestId: string;
	phase: Phase;
	proxy?: string;
	/** The credential field that holds this URL, when one does (`url`, `graphBaseUrl`). */
	field?: string;
}

/** `host:port` with the port always written, as a user checks it with curl or a firewall rule. */
export function hostPort(url: URL): string {
	const port = url.port || (url.protocol === 'https:' ? '443' : '80');
	return `${url.hostname}:${port}`;
}

const TLS_CODES =
	/^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH|ERR_OSSL)/;

/** True for the code of a failure to trust the server's certificate (the fix is a CA, not a retry). */
export function isTlsFailureCode(code: string | undefined): boolean {
	return code !== undefined && TLS_CODES.test(code);
}
/** Failures that another try can fix; a wrong host name or an untrusted certificate cannot. */
const TRANSIENT_CODES = new Set([
	'TIMEOUT',
	'ECONNRESET',
	'ECONNREFUSED',
	'EPIPE',
	'ETIMEDOUT',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ENETDOWN',
	'UND_ERR_SOCKET',
	'ERR_STREAM_PREMATURE_CLOSE',
]);

/** A network failure (no HTTP status) as the one error type, saying where and what to check. */
export function networkFailure(error: unknown, context: FailureContext): MailIntelError {
	const cause = error as NodeJS.ErrnoException & { phase?: Phase };
	const code = cause?.name === 'AbortError' ? 'ABORTED' : (cause?.code ?? 'NETWORK');
	const where = hostPort(context.url);
	const via = context.proxy ? ` through the proxy ${context.proxy}` : '';
	const id = `client-request-id ${context.clientRequestId}`;
	const what = `${context.method} ${context.url.origin}${context.url.pathname}`;
	let message: string;
	let hint: string;
	if (code === 'ABORTED') {
		message = `${what} was cancelled (${id})`;
		hint = 'The workflow was stopped while the request ran.';
	} else if (error instanceof HttpTimeoutError) {
		message = `${what}: ${error.message} from ${where}${via} (${id})`;
		hint =
			error.phase === 'connect'
				? `Nothing accepted a connection to ${where}: check the host and port, a firewall, and the proxy settings (HTTPS_PROXY / NO_PROXY).`
				: `${where} accepted the connection but ${error.phase === 'response' ? 'never answered' : 'stopped sending'}: check that the service is healthy, and any proxy or TLS-inspecting middlebox in between.`;
	} else if (TLS_CODES.test(code)) {
		message = `${what}: the TLS certificate of ${where} is not trusted (${code}) (${id})`;
		hint = `Add the issuing CA (PEM) to the credential's CA certificate field, or fix the server's certificate chain.`;
	} else if (code === 'ENOTFOUND') {
		message = `${what}: the host ${context.url.hostname} does not resolve (${id})`;
		hint = 'Check the host name in the credential, and DNS from the n8n machine.';
	} else if (code === 'ECONNREFUSED') {
		message = `${what}: ${where}${via} refused the connection (${id})`;
		hint = `Nothing listens on ${where}: check the URL and port, and that the service runs.`;
	} else {
		message = `${what}: the connection to ${where}${via} failed (${cause?.message ?? code}) (${id})`;
		hint =
			'A network fault between n8n and the service; it is retried, then check the network and proxy settings.';
	}
	return new MailIntelError(message, {
		source: context.source,
		code,
		requestId: context.clientRequestId,
		retryable: TRANSIENT_CODES.has(code),
		...(context.field ? { field: context.field } : {}),
		hint,
		cause: error,
	});
}
