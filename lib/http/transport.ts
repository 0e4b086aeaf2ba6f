import { randomUUID } from 'node:crypto';

import { isMailIntelError, type ErrorSource, type MailIntelError } from '../errors';
import { parseRetryAfter } from '../util/http-error';
import { Deadlines } from '../util/deadlines';
import { DEFAULT_RETRY, retryDelayMs, type RetryOptions } from '../util/retry';
import { proxySchemes, type TlsTrust } from './agents';
import { systemClock } from './clock';
import { HttpTimeoutError } from './errors';
import { MAX_BUFFERED_BODY_BYTES } from './body';
import { LastUrl } from './last-url';
import { isStream, sendBuffered, sendOnce, type AttemptOptions } from './send';
import {
	DEFAULT_TIMEOUTS,
	isIdempotent,
	type BufferedResponse,
	type Clock,
	type HttpAnswer,
	type HttpRequest,
	type HttpResponse,
	type HttpTimeouts,
} from './types';
import { USER_AGENT } from './user-agent';

/**
 * Statuses retried by default, as the Graph client's RetryHandler retries them: throttled (429),
 * unavailable (503), gateway timeout (504). A 500 is a fault the same request meets again.
 */
export const RETRY_STATUSES: readonly number[] = [429, 503, 504];

export interface HttpTransportOptions extends TlsTrust {
	/** Whose errors these are (`graph`, `opencti`, `gmail`, `dsx`). */
	source: ErrorSource;
	timeouts?: Partial<HttpTimeouts>;
	retry?: Partial<RetryOptions>;
	/** Statuses worth another try (default RETRY_STATUSES); only for idempotent requests. */
	retryStatuses?: readonly number[];
	keepAlive?: boolean;
	maxSockets?: number;
	clock?: Clock;
	/** The credential field holding the URL, named by network errors (`url`, `graphBaseUrl`). */
	field?: string;
}

export interface RetryNotice {
	method: string;
	url: string;
	/** The retry about to happen: 1 for the first. */
	attempt: number;
	waitMs: number;
	/** The answer being retried, or undefined for a network failure. */
	status?: number;
	/** Retry-After as the server sent it, in ms (before the cap). */
	retryAfterMs?: number;
	error?: MailIntelError;
}

/** How a caller joins in each attempt (the Graph client's mailbox throttle uses all three). */
export interface AttemptHooks {
	/** Waits for whatever an attempt needs (a mailbox slot); the release runs when its body is done. */
	admit?: (signal?: AbortSignal) => Promise<() => void>;
	/**
	 * Every answer, before its body is read (e.g. a success widens a throttle); with
	 * `requestBuffered`, once the body has been read.
	 */
	onAnswer?: (response: HttpAnswer) => void;
	/**
	 * Before a retry waits. Return true when the wait is arranged elsewhere (a pause every request
	 * of the mailbox observes in `admit`); otherwise the transport sleeps `waitMs` itself.
	 */
	onRetry?: (notice: RetryNotice) => boolean | void;
}

/**
 * The one HTTP transport of the pack (Graph, MSAL, OpenCTI, the Google token refresh, later
 * DSX and Gmail): keep-alive pools, proxies from the environment, a per-client CA, three
 * timeouts per attempt, a `client-request-id` and the pack's User-Agent on every request, and
 * safe retries: only RETRY_STATUSES and network failures, only for idempotent requests (a
 * non-idempotent one only when it provably never left: the connection itself failed), waiting
 * Retry-After (capped) or exponential backoff with jitter.
 */
export class HttpTransport {
	readonly timeouts: HttpTimeouts;
	readonly retry: RetryOptions;
	readonly clock: Clock;
	private readonly retryStatuses: readonly number[];
	/** The connect, response and body-idle waits of every attempt in flight, on one timer. */
	private readonly deadlines = new Deadlines();
	private readonly attemptOptions: AttemptOptions;

	constructor(private readonly options: HttpTransportOptions) {
		this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
		this.retry = { ...DEFAULT_RETRY, ...options.retry };
		this.clock = options.clock ?? {
			now: systemClock.now,
			sleep: this.retry.sleep ?? systemClock.sleep,
		};
		this.retryStatuses = options.retryStatuses ?? RETRY_STATUSES;
		// The same for every attempt of this transport, so built once (a request without an
		// admit hook passes it as it is).
		this.attemptOptions = {
			source: options.source,
			timeouts: this.timeouts,
			deadlines: this.deadlines,
			trust: options,
			agent: { keepAlive: options.keepAlive ?? true, maxSockets: options.maxSockets ?? 16 },
			proxies: proxySchemes(),
			urls: new LastUrl(),
			onDone: undefined,
			...(options.field ? { field: options.field } : {}),
		};
	}

	get source(): ErrorSource {
		return this.options.source;
	}

	/** The same transport with some options changed (socket pools are process-wide, so it is cheap). */
	derive(overrides: Partial<HttpTransportOptions>): HttpTransport {
		return new HttpTransport({
			...this.options,
			...overrides,
			retry: { ...this.options.retry, ...overrides.retry },
			timeouts: { ...this.options.timeouts, ...overrides.timeouts },
			clock: overrides.clock ?? this.options.clock,
		});
	}

	/** Nothing to release: the socket pools are process-wide and their idle sockets unref'd. */
	close(): void {}

	/**
	 * Sends with retries and returns the last answer, whatever its status: the caller reads the
	 * body (or discards it) and turns a failure status into its own error. Network failures
	 * that outlive the retries are thrown as MailIntelError.
	 *
	 * A streamed body goes out in exactly one attempt (it is consumed by it: nothing is left to
	 * send again), so it skips the retry loop and its async frame: a DSXA upload is the call the
	 * scan runner makes per file, and each frame on that path was a measurable part of what a
	 * small upload costs beyond a bare `node:http` client (docs/performance.md, round 17).
	 */
	request(request: HttpRequest, hooks: AttemptHooks = {}): Promise<HttpResponse> {
		if (!isStream(request.body)) return this.retrying(request, hooks, undefined);
		return this.answered(this.attempt(request, hooks), hooks);
	}

	/**
	 * As `request`, with the answer read whole before it resolves (at most `maxBytes`, or
	 * BODY_TOO_LARGE): for the small JSON answers most calls get. Nothing is left to read or
	 * discard, and a streamed upload whose verdict comes back (DSXA) costs no body stream.
	 * `onAnswer` hears each answer once its body has been read.
	 */
	requestBuffered(
		request: HttpRequest,
		hooks: AttemptHooks = {},
		maxBytes = MAX_BUFFERED_BODY_BYTES,
	): Promise<BufferedResponse> {
		if (!isStream(request.body)) return this.retrying(request, hooks, maxBytes);
		return this.answered(this.sendAttempt(request, hooks, maxBytes), hooks);
	}

	/** A streamed body's one attempt with the onAnswer hook, which the retry loop calls otherwise. */
	private answered<R extends HttpAnswer>(answer: Promise<R>, hooks: AttemptHooks): Promise<R> {
		const onAnswer = hooks.onAnswer;
		return onAnswer
			? answer.then((response) => {
					onAnswer(response);
					return response;
				})
			: answer;
	}

	private retrying(
		request: HttpRequest,
		hooks: AttemptHooks,
		maxBytes: undefined,
	): Promise<HttpResponse>;
	private retrying(
		request: HttpRequest,
		hooks: AttemptHooks,
		maxBytes: number,
	): Promise<BufferedResponse>;
	private async retrying(
		request: HttpRequest,
		hooks: AttemptHooks,
		maxBytes: number | undefined,
	): Promise<HttpResponse | BufferedResponse> {
		const idempotent = isIdempotent(request);
		for (let attempt = 0; ; attempt++) {
			const lastTry = attempt >= this.retry.retries;
			let response: HttpResponse | BufferedResponse;
			try {
				response = await this.sendAttempt(request, hooks, maxBytes);
			} catch (error) {
				if (
					!isMailIntelError(error) ||
					!error.retryable ||
					lastTry ||
					request.signal?.aborted ||
					!(idempotent || neverSent(error))
				)
					throw error;
				await this.wait(request, hooks, {
					method: request.method,
					url: request.url,
					attempt: attempt + 1,
					waitMs: retryDelayMs(undefined, attempt, this.retry),
					error,
				});
				continue;
			}
			hooks.onAnswer?.(response);
			if (
				!this.retryStatuses.includes(response.status) ||
				!idempotent ||
				lastTry ||
				request.signal?.aborted
			)
				return response;
			const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
			// The answer of a retried status is a short error document: read it away, which keeps
			// the keep-alive socket and frees the slot it holds (a buffered one is read already).
			if (isStream(response.body)) response.body.resume();
			await this.wait(request, hooks, {
				method: request.method,
				url: request.url,
				attempt: attempt + 1,
				waitMs: retryDelayMs(retryAfterMs, attempt, this.retry),
				status: response.status,
				...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
			});
		}
	}

	/**
	 * One attempt, no retry (for callers with their own loop). Without an `admit` hook nothing
	 * is awaited before the send, so no async frame is built for it.
	 */
	attempt(request: HttpRequest, hooks: Pick<AttemptHooks, 'admit'> = {}): Promise<HttpResponse> {
		return this.sendAttempt(request, hooks, undefined);
	}

	private sendAttempt(
		request: HttpRequest,
		hooks: Pick<AttemptHooks, 'admit'>,
		maxBytes: undefined,
	): Promise<HttpResponse>;
	private sendAttempt(
		request: HttpRequest,
		hooks: Pick<AttemptHooks, 'admit'>,
		maxBytes: number,
	): Promise<BufferedResponse>;
	private sendAttempt(
		request: HttpRequest,
		hooks: Pick<AttemptHooks, 'admit'>,
		maxBytes: number | undefined,
	): Promise<HttpResponse | BufferedResponse>;
	private sendAttempt(
		request: HttpRequest,
		hooks: Pick<AttemptHooks, 'admit'>,
		maxBytes: number | undefined,
	): Promise<HttpResponse | BufferedResponse> {
		const admit = hooks.admit;
		if (!admit) return this.send(request, undefined, maxBytes);
		return admit(request.signal).then((release) =>
			this.send(request, release, maxBytes).catch((error: unknown) => {
				release();
				throw error;
			}),
		);
	}

	/** Always a promise: a URL that does not parse rejects it, as it did the old async attempt. */
	private send(
		request: HttpRequest,
		release: (() => void) | undefined,
		maxBytes: number | undefined,
	): Promise<HttpResponse | BufferedResponse> {
		const options = release ? { ...this.attemptOptions, onDone: release } : this.attemptOptions;
		try {
			const headers = withDefaults(request.headers);
			return maxBytes === undefined
				? sendOnce(request, options, headers)
				: sendBuffered(request, options, headers, maxBytes);
		} catch (error) {
			return Promise.reject(error);
		}
	}

	private async wait(request: HttpRequest, hooks: AttemptHooks, notice: RetryNotice) {
		this.retry.onRetry?.(notice.error ?? notice, notice.attempt, notice.waitMs);
		if (hooks.onRetry?.(notice) === true) return;
		await this.clock.sleep(notice.waitMs, request.signal);
	}
}

/** The caller's headers plus ours; a caller's own `client-request-id` or User-Agent wins. */
function withDefaults(given: Record<string, string> | undefined): Record<string, string> {
	const headers: Record<string, string> = {};
	// for-in rather than Object.entries: no [name, value] array per header per request.
	for (const name in given) headers[name.toLowerCase()] = given[name]!;
	headers['user-agent'] ??= USER_AGENT;
	headers['client-request-id'] ??= randomUUID();
	return headers;
}

/** The connection itself failed: the request never reached the server, so a retry is safe. */
function neverSent(error: MailIntelError): boolean {
	if (error.cause instanceof HttpTimeoutError) return error.cause.phase === 'connect';
	return error.code === 'ECONNREFUSED' || error.code === 'EAI_AGAIN';
}
