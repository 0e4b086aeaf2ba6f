import type { Readable } from 'node:stream';

/**
 * The three waits of one HTTP attempt. Each names a different failure for the user: nothing
 * answered the connection (connect), the server took the request but never answered
 * (response: until the status line and headers), or the body stopped arriving (idle: the
 * longest pause between two pieces of the body while the reader is waiting for more).
 */
export interface HttpTimeouts {
	connectMs: number;
	responseMs: number;
	idleMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = {
	connectMs: 10_000,
	responseMs: 60_000,
	idleMs: 60_000,
};

export interface HttpRequest {
	method: string;
	/** Absolute http(s) URL, sent as given. */
	url: string;
	headers?: Record<string, string>;
	/**
	 * A stream is sent as it is read (chunked unless a content-length header is given), never
	 * buffered: for file uploads (a DSXA scan). It can be sent only once, so the transport never
	 * retries such a request; its caller retries by opening the bytes again.
	 */
	body?: string | Uint8Array | Readable;
	/**
	 * Repeating the request is harmless. GET, HEAD, PUT, DELETE and OPTIONS are by definition
	 * (RFC 9110 §9.2.2); a POST or PATCH only when its caller says so (an upsert, a token grant).
	 * Requests that are not are never retried once they may have reached the server.
	 */
	idempotent?: boolean;
	signal?: AbortSignal;
}

/** What an answer says before its body: status and headers. */
export interface HttpAnswer {
	status: number;
	/** Lower-case names; repeated headers joined with ", ". */
	headers: Record<string, string>;
	/** The `client-request-id` this attempt was sent with (what Microsoft support asks for). */
	clientRequestId: string;
	/** The server's own id (`request-id` on Graph), when it sent one. */
	requestId?: string;
}

export interface HttpResponse extends HttpAnswer {
	/**
	 * The body. Whatever was reserved for the request (a mailbox slot) stays reserved until it
	 * has been read to the end or destroyed: read it, or call `discard()`.
	 */
	body: Readable;
}

/** An answer read whole by the transport (`requestBuffered`): a small JSON or error document. */
export interface BufferedResponse extends HttpAnswer {
	body: Buffer;
}

export interface Clock {
	/** Monotonic milliseconds. */
	now(): number;
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export function isIdempotent(request: Pick<HttpRequest, 'method' | 'idempotent'>): boolean {
	return request.idempotent ?? IDEMPOTENT_METHODS.has(request.method.toUpperCase());
}
