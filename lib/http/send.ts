import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

import { isMailIntelError, type ErrorSource } from '../errors';
import { Deadlines, type Deadline } from '../util/deadlines';
import { monotonicNow } from '../util/monotonic';
import { routeFor, type AgentOptions, type ProxySchemes, type TlsTrust } from './agents';
import { HttpTimeoutError, networkFailure, type Phase } from './errors';
import type { LastUrl } from './last-url';
import { bodyTooLarge } from './body';
import type { BufferedResponse, HttpRequest, HttpResponse, HttpTimeouts } from './types';

export interface AttemptOptions {
	source: ErrorSource;
	timeouts: HttpTimeouts;
	trust: TlsTrust;
	agent: AgentOptions;
	/** Which schemes had a proxy variable set when the transport was built. */
	proxies: ProxySchemes;
	/** The transport's last parsed URL, reused while requests go to the same address. */
	urls: LastUrl;
	field?: string;
	/** Where the attempt's waits are kept (one timer for all the attempts of a transport). */
	deadlines: Deadlines;
	/**
	 * Called once when the response body has ended, failed or been destroyed, or the attempt
	 * failed. Always present (undefined when unused): the transport sets it on a copy of its
	 * shared options, and a key that is replaced rather than added keeps the copy's hidden class
	 * stable in optimized code (see `exchange`).
	 */
	onDone: (() => void) | undefined;
}

/**
 * One attempt, no retry: resolves with the status and headers and a body stream guarded by the
 * idle timeout, or rejects with a MailIntelError saying which wait ran out where. `headers` are
 * the ones sent (the request's with the transport's defaults), `client-request-id` among them.
 */
export function sendOnce(
	request: HttpRequest,
	options: AttemptOptions,
	headers: Record<string, string>,
): Promise<HttpResponse> {
	return exchange(request, options, headers, undefined) as Promise<HttpResponse>;
}

/**
 * One attempt whose answer is read whole before it resolves: for a small JSON document (a DSXA
 * verdict). The body is collected where the answer
 * arrives, under the same idle timeout, so no guarded stream, reader promise or listeners of its
 * own are built for it: on a DSXA upload those were ~10% of the instructions beyond a bare
 * `node:http` client (docs/performance.md, round 19). More than `maxBytes` is refused.
 */
export function sendBuffered(
	request: HttpRequest,
	options: AttemptOptions,
	headers: Record<string, string>,
	maxBytes: number,
): Promise<BufferedResponse> {
	return exchange(request, options, headers, maxBytes) as Promise<BufferedResponse>;
}

/** Both kinds of attempt: `collectBytes` undefined hands the body on as a stream. */
function exchange(
	request: HttpRequest,
	options: AttemptOptions,
	headers: Record<string, string>,
	collectBytes: number | undefined,
): Promise<HttpResponse | BufferedResponse> {
	const url = options.urls.parse(request.url);
	const route = routeFor(url, options.trust, options.agent, options.proxies);
	const clientRequestId = headers['client-request-id']!;
	const { connectMs, responseMs, idleMs } = options.timeouts;
	const signal = request.signal;
	let done = false;
	let onAbort: (() => void) | undefined;
	const finish = () => {
		if (done) return;
		done = true;
		if (onAbort) signal?.removeEventListener('abort', onAbort);
		options.onDone?.();
	};
	const deadlines = options.deadlines;
	return new Promise<HttpResponse | BufferedResponse>((resolve, reject) => {
		let phase: Phase = 'connect';
		let armedMs = 0;
		let deadline: Deadline | undefined;
		// One expiry for every wait (connect, response, and the body's idle wait when it is
		// collected here): the phase and wait it reports are the ones armed last.
		const expire = () => {
			const error = new HttpTimeoutError(phase, armedMs);
			req.destroy(error);
			// A request still waiting for its socket (a proxy tunnel that never opens) emits no
			// error when destroyed: settle it here.
			fail(error);
		};
		const arm = (ms: number, next: Phase) => {
			phase = next;
			armedMs = ms;
			if (deadline) deadlines.restart(deadline, ms, expire);
			else deadline = deadlines.add(ms, expire);
		};
		const failure = (error: unknown) =>
			networkFailure(error, {
				source: options.source,
				method: request.method,
				url,
				clientRequestId,
				phase,
				...(route.proxy ? { proxy: route.proxy } : {}),
				...(options.field ? { field: options.field } : {}),
			});
		const fail = (error: unknown) => {
			deadlines.delete(deadline);
			finish();
			reject(failure(error));
		};
		if (url.protocol !== 'https:' && url.protocol !== 'http:') {
			fail(Object.assign(new Error(`unsupported URL scheme ${url.protocol}`), { code: 'BAD_URL' }));
			return;
		}
		if (signal?.aborted) {
			fail(abortError(signal));
			return;
		}
		// The signal is watched here rather than handed to http.request: Node then ties it to
		// the request with end-of-stream listeners per request (~5% of CPU per small upload in a
		// profile); one listener, removed when the attempt is done, does the same.
		let response: Readable | undefined;
		onAbort = () => {
			const error = abortError(signal!);
			if (response) return void response.destroy(failure(error));
			req.destroy(error);
			fail(error); // a request still waiting for its socket emits no error when destroyed
		};
		signal?.addEventListener('abort', onAbort, ONCE);
		const body = request.body;
		const streamed = isStream(body);
		// Each options object is written out in full: a literal that starts with a spread (a shared
		// `{ method, agent }` spread into both) gets a map of its own in Node 20's optimized code,
		// and each key added after it then builds a new hidden class per request, which every
		// inline cache in Node's http client meets as a new shape (docs/performance.md, round 19).
		const forward = route.forward;
		const req = forward
			? (forward.url.protocol === 'https:' ? https.request : http.request)({
					method: request.method,
					agent: route.agent,
					hostname: forward.url.hostname,
					port: forward.url.port || (forward.url.protocol === 'https:' ? 443 : 80),
					path: url.href,
					headers: {
						...headers,
						host: url.host,
						...(forward.authorization ? { 'proxy-authorization': forward.authorization } : {}),
					},
				})
			: (url.protocol === 'https:' ? https.request : http.request)(url, {
					method: request.method,
					agent: route.agent,
					headers: streamed && !route.proxy ? headerList(url, headers) : headers,
					...route.tlsOptions,
				});
		arm(connectMs, 'connect');
		req.on('socket', (socket: Socket) => {
			// A pooled keep-alive socket is connected already; a new one counts until TLS is up.
			if (!socket.connecting) return arm(responseMs, 'response');
			const viaTls = (forward?.url ?? url).protocol === 'https:';
			socket.once(viaTls ? 'secureConnect' : 'connect', () => arm(responseMs, 'response'));
		});
		// One listener for the request's errors: until the answer they fail the attempt; after it
		// they belong to the body, whose reader hears them (swapping listeners at the answer was
		// two more listener changes per request).
		let answered = false;
		req.on('error', (error) => {
			if (!answered) fail(error);
		});
		req.on('response', (res) => {
			answered = true;
			if (collectBytes !== undefined) {
				// Read here, whole. The deadline becomes the body's idle wait, moved on at each
				// piece; a failure (a connection cut mid-body, the idle timeout, an abort, which
				// destroys the request) rejects as the one error type, saying it was the body.
				arm(idleMs, 'body');
				const pieces: Buffer[] = [];
				let size = 0;
				res.on('data', (piece: Buffer) => {
					size += piece.length;
					if (size > collectBytes) {
						deadlines.delete(deadline);
						finish();
						res.destroy();
						return reject(bodyTooLarge(collectBytes, options.source));
					}
					pieces.push(piece);
					arm(idleMs, 'body');
				});
				res.on('end', () => {
					deadlines.delete(deadline);
					finish();
					resolve(new BufferedAnswer(res, Buffer.concat(pieces, size), clientRequestId));
				});
				res.on('error', fail);
				return;
			}
			deadlines.delete(deadline);
			const guarded = guardBody(res, idleMs, deadlines, (error) => {
				phase = 'body';
				return failure(error);
			});
			response = guarded;
			guarded.on('close', finish); // 'close' comes once; `on` spares the once-wrapper
			resolve(new Answer(res, guarded, clientRequestId));
		});
		if (streamed) {
			// A failing source (a binary store read error) aborts the request and reaches the
			// caller through req's 'error' (fail above); a failed request stops reading the source.
			// `.pipe` rather than `pipeline`: pipeline aborts an AbortController per call, whose
			// DOMException (a captured stack) cost ~5% of CPU per small upload in a profile.
			streamInto(body, req);
		} else req.end(body);
	});
}

/**
 * The headers of a streamed upload sent directly (no proxy), as the flat name/value list Node's
 * http.request also takes (the shape of `message.rawHeaders`). Node then writes them as they are,
 * checking each name and value once, where an object goes through `setHeader` per header first
 * (a name check, a value check, a lower-casing and a store each) and is then walked again: that
 * was ~12,000 instructions of each DSXA upload, over a third of what it cost beyond a bare client
 * (docs/performance.md, round 20). The https agent takes the TLS server name from the URL when
 * the request has no Host to read. In this form Node adds no Host (added here, as Node writes it:
 * the URL's host, with the port when not the scheme's default) and no Authorization from URL
 * credentials (a URL carrying them keeps the object form). Only for a streamed body: Node
 * computes a buffered body's Content-Length only for headers given as an object.
 */
function headerList(url: URL, headers: Record<string, string>): string[] | Record<string, string> {
	if (url.username !== '' || url.password !== '') return headers;
	const list = headers['host'] === undefined ? ['host', url.host] : [];
	for (const name in headers) list.push(name, headers[name]!);
	return list;
}

/** Listener options shared by every attempt (one object, not one per request). */
const ONCE = { once: true } as const;

/** What Node's own signal handling destroys a request with (networkFailure calls it ABORTED). */
function abortError(signal: AbortSignal): Error {
	return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
		name: 'AbortError',
		code: 'ABORT_ERR',
	});
}

/**
 * Pipes `source` into `target`; an error on either side destroys the other.
 *
 * The error listener, which reaches `target` (a whole request), leaves the source when the source
 * closes (nothing is emitted after 'close'). Left on, it tied every request to its spent body
 * stream, which in the scan path stays referenced by dead old-generation objects until the next
 * full GC: each request's objects were then promoted with it (docs/performance.md, round 16).
 */
export function streamInto(source: Readable, target: Writable): void {
	const onError = (error: Error) => target.destroy(error);
	// Nothing may stay on the spent source: at 'close' both its listeners leave (removed by hand,
	// as `once` builds a wrapper per call). A close listener that stayed there (round 17) reached
	// the request through `onError` and promoted 96 MB over 14,000 uploads, as the error listener
	// had in round 16. The request (`target`) dies with the attempt, so its listener may stay.
	const onClose = () => {
		source.off('error', onError);
		source.off('close', onClose);
	};
	source.on('error', onError);
	source.on('close', onClose);
	target.on('close', () => {
		if (!source.readableEnded) source.destroy();
	});
	source.pipe(target);
}

export function isStream(body: HttpRequest['body']): body is Readable {
	return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

/**
 * What every answer says before its body. Its headers are flattened when first read: Node parses
 * a response's raw headers into `res.headers` only on demand, and a scan answer whose headers no
 * one reads (a 200 with its verdict in the body) need not pay for it. The getters live on the
 * prototype, so an answer costs no closures.
 */
class AnswerHead {
	readonly status: number;
	private flat: Record<string, string> | undefined;

	constructor(
		private readonly res: http.IncomingMessage,
		readonly clientRequestId: string,
	) {
		this.status = res.statusCode ?? 0;
	}

	get headers(): Record<string, string> {
		return (this.flat ??= flatHeaders(this.res.headers));
	}

	get requestId(): string | undefined {
		const id = this.res.headers['request-id'];
		return typeof id === 'string' ? id : undefined;
	}
}

/** An answer whose body the caller reads (or discards). */
class Answer extends AnswerHead implements HttpResponse {
	constructor(
		res: http.IncomingMessage,
		readonly body: Readable,
		clientRequestId: string,
	) {
		super(res, clientRequestId);
	}
}

/** An answer read whole. */
class BufferedAnswer extends AnswerHead implements BufferedResponse {
	constructor(
		res: http.IncomingMessage,
		readonly body: Buffer,
		clientRequestId: string,
	) {
		super(res, clientRequestId);
	}
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
	const flat: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers))
		if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
	return flat;
}

/**
 * The idle timeout of a body, kept on the response itself: fails it when nothing arrived for
 * `idleMs` while its reader was waiting. A reader that is slow on purpose (back-pressure: unread
 * data is buffered) is not the server's fault and never trips it.
 *
 * Why not a PassThrough with a timer re-armed at each chunk (as up to round 14): that hop, its
 * listeners and a timer per chunk were a large part of what a small upload cost beyond a bare
 * `node:http` client (docs/performance.md, round 15). Instead:
 * - progress is watched on the socket, which carries only this response until the body ends
 *   (HTTP/1.1 without pipelining): a listener that notes the time, so the reader's own mode
 *   (paused, flowing) is never touched;
 * - one deadline per body, set once; when it falls due it moves to `idleMs` after the last
 *   bytes if any came since, so the timeout is as exact as before without a timer per chunk;
 * - errors reach the reader as the one error type, saying where: the response's own destroy
 *   hands its error through `failure` (a connection cut mid-body, the idle timeout).
 * Destroying the returned stream frees the socket, as before. A body its caller neither reads
 * nor discards (the contract asks for one or the other) is let go when its deadline falls due.
 */
function guardBody(
	res: http.IncomingMessage,
	idleMs: number,
	deadlines: Deadlines,
	failure: (error: unknown) => Error,
): Readable {
	const socket = res.socket;
	let lastBytesAt = monotonicNow();
	const noteBytes = () => {
		lastBytesAt = monotonicNow();
	};
	const watch = deadlines.add(idleMs, () => {
		// All of it arrived (an unread body stays buffered): nothing is left to wait for.
		if (res.complete) return undefined;
		if (res.readableLength > 0) return monotonicNow() + idleMs; // the reader is not waiting
		if (lastBytesAt + idleMs > monotonicNow()) return lastBytesAt + idleMs;
		res.destroy(new HttpTimeoutError('body', idleMs));
		return undefined;
	});
	const stop = () => {
		deadlines.delete(watch);
		socket?.off('data', noteBytes);
	};
	socket?.on('data', noteBytes);
	res.on('end', stop); // stop runs twice at most, and twice is harmless
	res.on('close', stop);
	(res as GuardedResponse)[FAILURE] = failure;
	res._destroy = destroyGuarded;
	return res;
}

/** Where a guarded response keeps the transport's error mapping for its own destroy. */
const FAILURE = Symbol('failure');
type GuardedResponse = http.IncomingMessage & { [FAILURE]: (error: unknown) => Error };

/**
 * The response's destroy with its error mapped to the one error type. One function for every
 * response, its per-request part read from the response: a closure per response stored as its
 * `_destroy` (as up to round 15) kept each response and everything it reaches alive across two
 * scavenges, so all of it was promoted to the old generation (docs/performance.md, round 16).
 */
function destroyGuarded(
	this: GuardedResponse,
	error: Error | null,
	callback: (error?: Error | null) => void,
): void {
	const failure = this[FAILURE];
	(Object.getPrototypeOf(this) as http.IncomingMessage)._destroy.call(this, error, (final) =>
		callback(final && !isMailIntelError(final) ? failure(final) : final),
	);
}
