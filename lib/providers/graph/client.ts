import type { Readable } from 'node:stream';

import {
	AuthenticationHandler,
	Client,
	ResponseType,
	type Context,
	type Middleware,
	type MiddlewareOptions,
} from '@microsoft/microsoft-graph-client';

import { MailIntelError } from '../../errors';
import { readText } from '../../http/body';
import { systemClock } from '../../http/clock';
import { Throttle } from '../../http/throttle';
import type { AttemptHooks, HttpTransport, RetryNotice } from '../../http/transport';
import type { Clock, HttpResponse, HttpTimeouts } from '../../http/types';
import { httpError, parseRetryAfter } from '../../util/http-error';
import { DEFAULT_RETRY, MAX_RETRY_AFTER_MS, type RetryOptions } from '../../util/retry';
import type { TokenSource } from './auth';

/** Graph allows 4 concurrent requests per mailbox (MailboxConcurrency); more earn 429s. */
export const MAILBOX_CONCURRENCY = 4;

/** Attempts after the first for one Graph request (each waits what Retry-After says). */
export const GRAPH_RETRIES = 8;

/** Every call asks for immutable ids, so an id stays valid when a message is moved. */
export const PREFER_IMMUTABLE_ID = 'IdType="ImmutableId"';

export interface GraphRequestSpec {
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
	/** A path under `/v1.0` (`/users/a@b/mailFolders`) or an absolute nextLink/deltaLink, sent verbatim. */
	url: string;
	/** The mailbox the request is about: the unit of Graph's concurrency limit and throttling. */
	mailbox?: string;
	body?: unknown;
	/** Extra `Prefer` values (`odata.maxpagesize=100`), joined with the ImmutableId preference. */
	prefer?: string[];
	/** Statuses that are answers rather than failures (404 on a DELETE). */
	accept?: number[];
	/**
	 * A POST or PATCH that may be sent twice with the same effect. Left unset, POST and PATCH
	 * are never retried once sent: `POST /subscriptions` would create a second subscription, and a
	 * repeated `POST .../move` whose first try had succeeded answers 404.
	 */
	idempotent?: boolean;
	signal?: AbortSignal;
}

export interface GraphResult<T> {
	status: number;
	headers: Record<string, string>;
	data: T;
}

export interface GraphClientOptions {
	graphBaseUrl: string;
	transport: HttpTransport;
	tokens: TokenSource;
	retry?: Partial<RetryOptions>;
	/** Called when Graph throttles us, e.g. to log "429 from Graph, waiting 2 s". */
	onThrottle?: (info: { status: number; waitMs: number; url: string; mailbox?: string }) => void;
	/** The clock of the mailbox throttles (tests pass a virtual one). */
	clock?: Clock;
	/** Connect / response / idle-body timeouts of each attempt (lib/http's defaults otherwise). */
	timeouts?: Partial<HttpTimeouts>;
}

/**
 * Graph's limits are per mailbox, whoever asks: every webhook call and poll builds its own
 * client, so the throttles (4 slots, Retry-After pause, gradual resume) live here, one per
 * mailbox for the whole process (and per clock, so a test's virtual clock gets its own).
 */
const mailboxThrottles = new Map<Clock, Map<string, Throttle>>();

/** Carries one call's URL (verbatim) and hooks to the terminal handler, and its failure back. */
class GraphCall implements MiddlewareOptions {
	error?: unknown;
	constructor(
		readonly url: string | undefined,
		readonly idempotent: boolean | undefined,
		readonly hooks: AttemptHooks,
		readonly signal: AbortSignal | undefined,
	) {}
}

/** The last handler of the SDK chain: sends through lib/http and returns the raw response. */
class TransportHandler implements Middleware {
	constructor(private readonly transport: HttpTransport) {}

	async execute(context: Context): Promise<void> {
		const call = context.middlewareControl?.getMiddlewareOptions(GraphCall) as
			| GraphCall
			| undefined;
		const url =
			call?.url ?? (typeof context.request === 'string' ? context.request : context.request.url);
		const options = context.options ?? {};
		const headers: Record<string, string> = {};
		const given = options.headers as Record<string, string> | Headers | undefined;
		if (given instanceof Headers) given.forEach((value, name) => (headers[name] = value));
		else if (given) Object.assign(headers, given);
		try {
			(context as { response: unknown }).response = await this.transport.request(
				{
					method: options.method ?? 'GET',
					url,
					headers,
					...(typeof options.body === 'string' ? { body: options.body } : {}),
					...(call?.idempotent !== undefined ? { idempotent: call.idempotent } : {}),
					...(call?.signal ? { signal: call.signal } : {}),
				},
				call?.hooks,
			);
		} catch (error) {
			// The SDK turns anything thrown here into its GraphError; the client rethrows ours.
			if (call) call.error = error;
			throw error;
		}
	}
}

/**
 * Graph over the official SDK (URL building, the Authorization handler with its
 * Graph-host/customHosts check) and lib/http (timeouts, safe retries, client-request-id,
 * User-Agent), with one throttle per mailbox and one token renewal on 401.
 */
export class GraphClient {
	private readonly client: Client;
	private readonly transport: HttpTransport;
	private readonly clock: Clock;

	constructor(private readonly options: GraphClientOptions) {
		const auth = new AuthenticationHandler({
			getAccessToken: () => options.tokens.getAccessToken(),
		});
		// Graph throttling comes in storms (many 429s in a row, each with its Retry-After): more
		// attempts than the shared default, same policy.
		const retry = { ...DEFAULT_RETRY, retries: GRAPH_RETRIES, ...options.retry };
		this.clock =
			options.clock ??
			(options.retry?.sleep
				? { now: systemClock.now, sleep: options.retry.sleep }
				: options.transport.clock);
		this.transport = options.transport.derive({
			retry,
			clock: this.clock,
			...(options.timeouts ? { timeouts: options.timeouts } : {}),
		});
		auth.setNext(new TransportHandler(this.transport));
		const host = new URL(options.graphBaseUrl).hostname;
		this.client = Client.initWithMiddleware({
			middleware: auth,
			baseUrl: `${options.graphBaseUrl}/`,
			defaultVersion: 'v1.0',
			customHosts: new Set([host]),
		});
	}

	/** The shared throttle of a mailbox (4 slots, Retry-After pause, gradual resume). */
	throttleFor(mailbox: string): Throttle {
		let throttles = mailboxThrottles.get(this.clock);
		if (!throttles) mailboxThrottles.set(this.clock, (throttles = new Map()));
		const key = `${this.options.graphBaseUrl}|${mailbox.toLowerCase()}`;
		let throttle = throttles.get(key);
		if (!throttle) throttles.set(key, (throttle = new Throttle(MAILBOX_CONCURRENCY, this.clock)));
		return throttle;
	}

	/** JSON request/response; throws MailIntelError for any status not 2xx or in `accept`. */
	async json<T>(spec: GraphRequestSpec): Promise<GraphResult<T>> {
		return this.request(spec, async (status, headers, body) => {
			const text = await readText(body, { source: 'graph' });
			return { status, headers, data: (text ? JSON.parse(text) : undefined) as T };
		});
	}

	/**
	 * A streamed body (`$value`). The mailbox slot stays taken until the caller has read the
	 * stream to its end or destroyed it: Graph counts the request until then.
	 */
	async stream(spec: GraphRequestSpec): Promise<GraphResult<Readable>> {
		return this.request(spec, async (status, headers, body) => ({ status, headers, data: body }));
	}

	private async request<R>(
		spec: GraphRequestSpec,
		read: (status: number, headers: Record<string, string>, body: Readable) => Promise<R>,
	): Promise<R> {
		const hooks = spec.mailbox ? this.mailboxHooks(spec, this.throttleFor(spec.mailbox)) : {};
		for (let renewed = false; ; renewed = true) {
			// The SDK turns any error of its auth handler into a GraphError; asking first keeps our
			// MailIntelError (field, hint). Outside the mailbox slot: a token refresh holds no slot.
			await this.options.tokens.getAccessToken();
			const raw = await this.send(spec, hooks);
			if (raw.status === 401 && !renewed && this.options.tokens.invalidate) {
				// An expired or revoked token: drop it and ask for a new one, once. A 401 means Graph
				// refused the request before acting on it, so sending it again is safe.
				raw.body.resume();
				this.options.tokens.invalidate();
				continue;
			}
			if ((raw.status >= 200 && raw.status < 300) || spec.accept?.includes(raw.status))
				return read(raw.status, raw.headers, raw.body);
			throw await this.failure(raw, spec);
		}
	}

	/**
	 * How a mailbox's requests share its throttle: a slot per attempt until its body is done; a
	 * 429/503 pauses the whole mailbox for Retry-After (capped), retried or not; a success
	 * lets one more request run at once again.
	 */
	private mailboxHooks(spec: GraphRequestSpec, throttle: Throttle): AttemptHooks {
		const cap = this.transport.retry.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS;
		return {
			admit: (signal) => throttle.admit(signal),
			onAnswer: (response) => {
				if (response.status < 400) throttle.succeeded();
				else if (isThrottled(response.status)) {
					const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
					if (retryAfterMs !== undefined) throttle.pause(Math.min(retryAfterMs, cap));
				}
			},
			onRetry: (notice: RetryNotice) => {
				if (notice.status !== undefined)
					this.options.onThrottle?.({
						status: notice.status,
						waitMs: notice.waitMs,
						url: spec.url,
						mailbox: spec.mailbox,
					});
				if (notice.status === undefined || !isThrottled(notice.status)) return false;
				// No Retry-After: the backoff becomes the mailbox's pause all the same.
				if (notice.retryAfterMs === undefined) throttle.pause(notice.waitMs);
				return true;
			},
		};
	}

	private async send(spec: GraphRequestSpec, hooks: AttemptHooks): Promise<HttpResponse> {
		const absolute = /^https:\/\//i.test(spec.url);
		const call = new GraphCall(
			absolute ? spec.url : undefined,
			spec.idempotent,
			hooks,
			spec.signal,
		);
		const request = this.client
			.api(spec.url)
			.responseType(ResponseType.RAW)
			.middlewareOptions([call])
			.header('Prefer', [PREFER_IMMUTABLE_ID, ...(spec.prefer ?? [])].join(', '));
		try {
			switch (spec.method) {
				case 'GET':
					return (await request.get()) as HttpResponse;
				case 'POST':
					return (await request.post(spec.body ?? {})) as HttpResponse;
				case 'PATCH':
					return (await request.patch(spec.body ?? {})) as HttpResponse;
				case 'DELETE':
					return (await request.delete()) as HttpResponse;
			}
		} catch (error) {
			throw call.error ?? error;
		}
	}

	private async failure(raw: HttpResponse, spec: GraphRequestSpec): Promise<MailIntelError> {
		const text = await readText(raw.body, { source: 'graph' }).catch(() => '');
		let code: string | undefined;
		let message = text.slice(0, 300);
		try {
			const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
			code = parsed.error?.code;
			message = parsed.error?.message ?? message;
		} catch {
			// not JSON: keep the text
		}
		const ids = `request-id ${raw.requestId ?? 'none'}, client-request-id ${raw.clientRequestId}`;
		return httpError({
			source: 'graph',
			status: raw.status,
			code,
			message: `Graph ${spec.method} ${shortUrl(spec.url)} failed (${raw.status}${code ? ` ${code}` : ''}): ${message} (${ids})`,
			requestId: raw.requestId ?? raw.clientRequestId,
			retryAfter: raw.headers['retry-after'],
			hint: hintFor(raw.status, code),
		});
	}
}

function isThrottled(status: number): boolean {
	return status === 429 || status === 503;
}

function shortUrl(url: string): string {
	return url.replace(/^https:\/\/[^/]+/i, '').replace(/(\$(delta|skip)token=)[^&]+/i, '$1…');
}

function hintFor(status: number, code: string | undefined): string | undefined {
	if (status === 401)
		return 'The token was refused: check the credential (tenant, client id, secret or certificate).';
	if (status === 403)
		return 'Grant the app the Mail.Read application permission (admin consent), and check any application access policy that limits mailboxes.';
	if (status === 404 && code === 'ErrorInvalidUser')
		return 'The mailbox (UPN) does not exist in this tenant: fix the mailbox list.';
	if (status === 404) return 'Check the mailbox UPN and folder name.';
	return undefined;
}

/** `users/{upn}` path segment, encoded once where URLs are built. */
export function userPath(upn: string): string {
	return `/users/${encodeURIComponent(upn)}`;
}

/** A folder: a well-known name (`Inbox`) or a folder id, encoded once. */
export function folderPath(upn: string, folder: string): string {
	return `${userPath(upn)}/mailFolders/${encodeURIComponent(folder)}`;
}

export function isMissingSyncState(error: unknown): boolean {
	return (
		error instanceof MailIntelError &&
		(error.status === 410 ||
			/^syncStateNotFound$|^SyncStateNotFound$|^syncStateInvalid$/i.test(error.code ?? ''))
	);
}
