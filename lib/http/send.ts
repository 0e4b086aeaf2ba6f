import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';

import type { ErrorSource } from '../errors';
import { routeFor, type AgentOptions, type TlsTrust } from './agents';
import { HttpTimeoutError, networkFailure, type Phase } from './errors';
import type { HttpRequest, HttpResponse, HttpTimeouts } from './types';

export interface AttemptOptions {
	source: ErrorSource;
	timeouts: HttpTimeouts;
	trust: TlsTrust;
	agent: AgentOptions;
	clientRequestId: string;
	field?: string;
	/** Called once when the response body has ended, failed or been destroyed, or the attempt failed. */
	onDone?: () => void;
}

/**
 * One attempt, no retry: resolves with the status and headers and a body stream guarded by the
 * idle timeout, or rejects with a MailIntelError saying which wait ran out where.
 */
export function sendOnce(request: HttpRequest, options: AttemptOptions): Promise<HttpResponse> {
	const url = new URL(request.url);
	const route = routeFor(url, options.trust, options.agent);
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
	return new Promise<HttpResponse>((resolve, reject) => {
		let phase: Phase = 'connect';
		let timer: NodeJS.Timeout | undefined;
		const arm = (ms: number, next: Phase) => {
			clearTimeout(timer);
			phase = next;
			timer = setTimeout(() => {
				const error = new HttpTimeoutError(next, ms);
				req.destroy(error);
				// A request still waiting for its socket (a proxy tunnel that never opens) emits no
				// error when destroyed: settle it here.
				fail(error);
			}, ms);
		};
		const failure = (error: unknown) =>
			networkFailure(error, {
				source: options.source,
				method: request.method,
				url,
				clientRequestId: options.clientRequestId,
				phase,
				...(route.proxy ? { proxy: route.proxy } : {}),
				...(options.field ? { field: options.field } : {}),
			});
		const fail = (error: unknown) => {
			clearTimeout(timer);
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
		signal?.addEventListener('abort', onAbort, { once: true });
		const common = { method: request.method, agent: route.agent };
		const forward = route.forward;
		const req = forward
			? (forward.url.protocol === 'https:' ? https.request : http.request)({
					...common,
					hostname: forward.url.hostname,
					port: forward.url.port || (forward.url.protocol === 'https:' ? 443 : 80),
					path: url.href,
					headers: {
						...request.headers,
						host: url.host,
						...(forward.authorization ? { 'proxy-authorization': forward.authorization } : {}),
					},
				})
			: (url.protocol === 'https:' ? https.request : http.request)(url, {
					...common,
					headers: request.headers,
					...route.tlsOptions,
				});
		arm(connectMs, 'connect');
		req.on('socket', (socket: Socket) => {
			const connected = () => arm(responseMs, 'response');
			// A pooled keep-alive socket is connected already; a new one counts until TLS is up.
			const viaTls = (forward?.url ?? url).protocol === 'https:';
			if (!socket.connecting) connected();
			else socket.once(viaTls ? 'secureConnect' : 'connect', connected);
		});
		req.on('error', fail);
		req.on('response', (res) => {
			clearTimeout(timer);
			req.off('error', fail);
			// Errors after this point belong to the body: they reach its reader.
			req.on('error', () => undefined);
			const body = guardBody(res, idleMs, (error) => {
				phase = 'body';
				return failure(error);
			});
			response = body;
			body.once('close', finish);
			resolve({
				status: res.statusCode ?? 0,
				headers: flatHeaders(res.headers),
				body,
				clientRequestId: options.clientRequestId,
				...(typeof res.headers['request-id'] === 'string'
					? { requestId: res.headers['request-id'] }
					: {}),
			});
		});
		const body = request.body;
		if (isStream(body)) {
			// A failing source (a binary store read error) aborts the request and reaches the
			// caller through req's 'error' (fail above); a failed request stops reading the source.
			// `.pipe` rather than `pipeline`: pipeline aborts an AbortController per call, whose
			// DOMException (a captured stack) cost ~5% of CPU per small upload in a profile.
			streamInto(body, req);
		} else req.end(body);
	});
}

/** What Node's own signal handling destroys a request with (networkFailure calls it ABORTED). */
function abortError(signal: AbortSignal): Error {
	return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
		name: 'AbortError',
		code: 'ABORT_ERR',
	});
}

/** Pipes `source` into `target`; an error on either side destroys the other. */
export function streamInto(source: Readable, target: Writable): void {
	source.once('error', (error) => target.destroy(error));
	target.once('close', () => {
		if (!source.readableEnded) source.destroy();
	});
	source.pipe(target);
}

function isStream(body: HttpRequest['body']): body is Readable {
	return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
	const flat: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers))
		if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
	return flat;
}

/**
 * The idle timeout of a body: fails it when nothing arrived for `idleMs` while its reader was
 * waiting. A reader that is slow on purpose (back-pressure: unread data is buffered) is not
 * the server's fault and never trips it. The body is handed on through a PassThrough so the
 * watch never takes data from the reader; destroying the returned stream frees the socket.
 */
function guardBody(
	res: http.IncomingMessage,
	idleMs: number,
	failure: (error: unknown) => Error,
): Readable {
	const body = new PassThrough();
	let timer: NodeJS.Timeout | undefined;
	const arm = () => {
		clearTimeout(timer);
		timer = setTimeout(() => {
			if (body.readableLength > 0 || body.writableLength > 0) arm();
			else body.destroy(failure(new HttpTimeoutError('body', idleMs)));
		}, idleMs);
	};
	arm();
	res.on('data', arm);
	// A connection cut mid-body reaches the reader as the one error type, saying where.
	res.once('error', (error) => body.destroy(failure(error)));
	body.once('finish', () => clearTimeout(timer));
	body.once('close', () => clearTimeout(timer));
	// As `pipeline(res, body)` did, without its per-call AbortController (see streamInto):
	// a body destroyed by its reader destroys the response, which frees the socket.
	streamInto(res, body);
	return body;
}
