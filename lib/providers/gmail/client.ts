import type { Readable } from 'node:stream';

import type { AccessTokenSource } from '../../auth/google-token';
import { secureOrLoopback } from '../../auth/google-token';
import { MailIntelError } from '../../errors';
import { readText } from '../../http/body';
import { systemClock } from '../../http/clock';
import { Throttle } from '../../http/throttle';
import { HttpTransport, type AttemptHooks, type RetryNotice } from '../../http/transport';
import type { Clock, HttpResponse, HttpTimeouts } from '../../http/types';
import { region } from '../../state/registry';
import { httpError, parseRetryAfter } from '../../util/http-error';
import {
	DEFAULT_RETRY,
	MAX_RETRY_AFTER_MS,
	retryDelayMs,
	type RetryOptions,
} from '../../util/retry';

export const GMAIL_API_BASE_URL = 'https://gmail.googleapis.com';
export const GMAIL_SCOPE = 'https://www.googleapis.com/auth/gmail.modify';

/**
 * Requests in flight per mailbox. Gmail's limit is a quota (15,000 units per user per minute;
 * messages.get costs 5) rather than a connection count; ten keeps a backlog fast without
 * spending the minute's quota in a burst.
 */
export const MAILBOX_CONCURRENCY = 10;

/** Attempts after the first for a throttled request (each waits Retry-After or backs off). */
export const GMAIL_RETRIES = 6;

/** The 403 reasons Google uses for quota throttling (the rest of 403s are permissions). */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

export interface GmailClientOptions {
	/** `https://gmail.googleapis.com`, or a test server (http on loopback only). */
	apiBaseUrl?: string;
	/** The mailbox: `me` (the token's user) or an address (service account delegation). */
	user: string;
	tokens: AccessTokenSource;
	transport?: HttpTransport;
	retry?: Partial<RetryOptions>;
	clock?: Clock;
	timeouts?: Partial<HttpTimeouts>;
	/** Requests in flight for this mailbox at most (shared by every client of the process). */
	concurrency?: number;
	/** Called for every request sent (the benchmark counts API calls of an empty poll). */
	onRequest?: (method: string, path: string) => void;
	/** Called before a throttled request waits, e.g. to log it. */
	onThrottle?: (info: { status: number; waitMs: number; path: string }) => void;
}

export interface GmailRequest {
	method?: 'GET' | 'POST' | 'DELETE';
	/** Under `users/{user}/`: `messages`, `history`, `messages/{id}/modify`. */
	path: string;
	query?: Record<string, string | number | string[] | undefined>;
	body?: unknown;
	/**
	 * A media upload (`/upload/gmail/v1/users/{user}/…`: messages.insert of a whole message):
	 * the body is streamed as `open()` produces it, never held. `open` is called again for the one
	 * resend after a refused token (Google refused before reading it), so each call must give
	 * the same bytes anew.
	 */
	upload?: { contentType: string; open: () => Readable };
	/** A POST that may be repeated with the same effect (modify, trash: they set a state). */
	idempotent?: boolean;
	signal?: AbortSignal;
}

interface GoogleErrorBody {
	error?: {
		code?: number;
		message?: string;
		status?: string;
		errors?: Array<{ reason?: string; message?: string }>;
	};
}

const throttles = region<Throttle>({
	name: 'gmail.mailboxThrottles',
	holds: "one Gmail mailbox's request slots and quota pause, shared by every poll of the process",
	key: 'API base URL | mailbox',
	maxEntries: 1000,
	clearedWhen: 'evicted when more than maxEntries mailboxes are in use',
});

/**
 * The Gmail REST API over lib/http (timeouts, safe retries of 429/503/504 with Retry-After,
 * proxies), with one throttle per mailbox, quota 403s (`rateLimitExceeded`,
 * `userRateLimitExceeded`) treated as throttling, and one token renewal on 401. Errors are
 * MailIntelError with `source: "gmail"`.
 */
export class GmailClient {
	readonly user: string;
	readonly apiBaseUrl: string;
	private readonly transport: HttpTransport;
	private readonly throttle: Throttle;
	private readonly retry: RetryOptions;
	private readonly clock: Clock;

	constructor(private readonly options: GmailClientOptions) {
		this.user = options.user || 'me';
		this.apiBaseUrl = checkedBaseUrl(options.apiBaseUrl ?? GMAIL_API_BASE_URL);
		this.retry = { ...DEFAULT_RETRY, retries: GMAIL_RETRIES, ...options.retry };
		this.clock =
			options.clock ??
			(options.retry?.sleep ? { now: systemClock.now, sleep: options.retry.sleep } : systemClock);
		this.transport = (
			options.transport ?? new HttpTransport({ source: 'gmail', field: 'apiBaseUrl' })
		).derive({
			retry: this.retry,
			clock: this.clock,
			...(options.timeouts ? { timeouts: options.timeouts } : {}),
		});
		const key = `${this.apiBaseUrl}|${this.user.toLowerCase()}`;
		let throttle = throttles.get(key);
		if (!throttle || throttle.maxConcurrency !== (options.concurrency ?? MAILBOX_CONCURRENCY)) {
			throttle = new Throttle(options.concurrency ?? MAILBOX_CONCURRENCY, this.clock);
			throttles.set(key, throttle);
		}
		this.throttle = throttle;
	}

	async json<T>(request: GmailRequest): Promise<T> {
		const response = await this.send(request);
		const text = await readText(response.body, { source: 'gmail' });
		return (text ? JSON.parse(text) : {}) as T;
	}

	/** A 2xx answer whose body the caller streams (a `format=raw` message); its slot is held until the body is done. */
	async stream(request: GmailRequest): Promise<Readable> {
		return (await this.send(request)).body;
	}

	url(request: Pick<GmailRequest, 'path' | 'query' | 'upload'>): string {
		const url = new URL(
			`${this.apiBaseUrl}${request.upload ? '/upload' : ''}/gmail/v1/users/${encodeURIComponent(this.user)}/${request.path}`,
		);
		for (const [name, value] of Object.entries(request.query ?? {})) {
			if (value === undefined) continue;
			for (const one of Array.isArray(value) ? value : [value])
				url.searchParams.append(name, String(one));
		}
		return url.href;
	}

	private async send(request: GmailRequest): Promise<HttpResponse> {
		const method = request.method ?? 'GET';
		const url = this.url(request);
		const hooks = this.hooks(request.path);
		let renewed = false;
		for (let attempt = 0; ; attempt++) {
			const token = await this.options.tokens.getAccessToken();
			this.options.onRequest?.(method, request.path);
			const upload = request.upload?.open();
			const response = await this.transport
				.request(
					{
						method,
						url,
						headers: {
							authorization: `Bearer ${token}`,
							accept: 'application/json',
							...(request.upload
								? { 'content-type': request.upload.contentType }
								: request.body !== undefined
									? { 'content-type': 'application/json' }
									: {}),
						},
						...(upload
							? { body: upload }
							: request.body !== undefined
								? { body: JSON.stringify(request.body) }
								: {}),
						...(request.idempotent !== undefined ? { idempotent: request.idempotent } : {}),
						...(request.signal ? { signal: request.signal } : {}),
					},
					hooks,
				)
				.catch((error: unknown) => {
					upload?.destroy();
					throw error;
				});
			if (response.status >= 200 && response.status < 300) return response;
			// Refused without reading it all: what produces the upload (a download) is stopped.
			upload?.destroy();
			if (response.status === 401 && !renewed) {
				// Expired early or revoked: forget the token and ask once more (Google refused the
				// request before acting on it, so sending it again is safe).
				response.body.resume();
				this.options.tokens.invalidate();
				renewed = true;
				continue;
			}
			const failure = await this.failure(response, method, request.path);
			if (
				failure.code !== undefined &&
				RATE_LIMIT_REASONS.has(failure.code) &&
				attempt < this.retry.retries &&
				(request.idempotent ?? method !== 'POST')
			) {
				// Quota 403: Google says to back off exponentially; the whole mailbox waits.
				const waitMs = retryDelayMs(failure.retryAfterMs, attempt, this.retry);
				this.options.onThrottle?.({ status: response.status, waitMs, path: request.path });
				this.throttle.pause(waitMs);
				continue;
			}
			throw failure;
		}
	}

	/** How a request shares its mailbox's throttle: a slot per attempt; 429/503 pause the mailbox. */
	private hooks(path: string): AttemptHooks {
		const cap = this.retry.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS;
		return {
			admit: (signal) => this.throttle.admit(signal),
			onAnswer: (response) => {
				if (response.status < 400) this.throttle.succeeded();
				else if (response.status === 429 || response.status === 503) {
					const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
					if (retryAfterMs !== undefined) this.throttle.pause(Math.min(retryAfterMs, cap));
				}
			},
			onRetry: (notice: RetryNotice) => {
				if (notice.status === undefined) return false;
				this.options.onThrottle?.({ status: notice.status, waitMs: notice.waitMs, path });
				if (notice.retryAfterMs === undefined) this.throttle.pause(notice.waitMs);
				return true;
			},
		};
	}

	private async failure(
		response: HttpResponse,
		method: string,
		path: string,
	): Promise<MailIntelError> {
		const text = await readText(response.body, { source: 'gmail' }).catch(() => '');
		let body: GoogleErrorBody = {};
		try {
			body = JSON.parse(text) as GoogleErrorBody;
		} catch {
			// not JSON: the text is the message
		}
		const reason = body.error?.errors?.[0]?.reason ?? body.error?.status;
		const message = body.error?.message ?? text.slice(0, 300);
		const throttled = reason !== undefined && RATE_LIMIT_REASONS.has(reason);
		const base = httpError({
			source: 'gmail',
			status: response.status,
			code: reason,
			message: `Gmail ${method} ${path.replace(/\/[^/]{12,}$/, '/…')} failed (${response.status}${reason ? ` ${reason}` : ''}): ${message}`,
			requestId: response.requestId ?? response.clientRequestId,
			retryAfter: response.headers['retry-after'],
			hint: hintFor(response.status, reason),
		});
		if (!throttled) return base;
		// A quota 403 is throttling, not a permission problem: transient.
		return new MailIntelError(base.message, {
			source: 'gmail',
			status: base.status,
			code: reason,
			requestId: base.requestId,
			retryable: true,
			...(base.retryAfterMs !== undefined ? { retryAfterMs: base.retryAfterMs } : {}),
			hint: base.hint,
		});
	}
}

function checkedBaseUrl(raw: string): string {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw badBaseUrl(`"${raw}" is not a URL`);
	}
	if (!secureOrLoopback(url))
		throw badBaseUrl(`${url.origin} is not https: the access token would travel in clear`);
	return url.href.replace(/\/+$/, '');
}

function badBaseUrl(detail: string): MailIntelError {
	return new MailIntelError(`the Gmail API base URL is refused: ${detail}`, {
		source: 'config',
		code: 'BAD_CONFIG',
		field: 'apiBaseUrl',
		hint: `Leave API Base URL at ${GMAIL_API_BASE_URL} unless a test server or a proxy stands in for it.`,
	});
}

function hintFor(status: number, reason: string | undefined): string | undefined {
	if (reason && RATE_LIMIT_REASONS.has(reason))
		return 'Gmail quota exhausted for now: the poll backs off and the rest follows next poll. Lower Max Items per Poll if this persists.';
	if (status === 401)
		return 'The token was refused: reconnect the credential (a revoked consent or a deleted OAuth client).';
	if (status === 403)
		return 'The credential lacks the gmail.modify scope, or the Gmail API is not enabled for the Google Cloud project, or (service account) domain-wide delegation does not cover this user.';
	if (status === 404) return 'The message or mailbox does not exist (deleted meanwhile?).';
	return undefined;
}
