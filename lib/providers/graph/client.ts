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
import { createLimiter, type Limiter } from '../../util/limit';
import { httpError } from '../../util/http-error';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from '../../util/retry';
import type { TokenSource } from './auth';
import { readText, type HttpsTransport } from './https';

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
	/** The mailbox the request is about: the unit of Graph's concurrency limit. */
	mailbox?: string;
	body?: unknown;
	/** Extra `Prefer` values (`odata.maxpagesize=100`), joined with the ImmutableId preference. */
	prefer?: string[];
	/** Statuses that are answers rather than failures (404 on a DELETE). */
	accept?: number[];
}

export interface GraphResult<T> {
	status: number;
	headers: Record<string, string>;
	data: T;
}

export interface GraphClientOptions {
	graphBaseUrl: string;
	transport: HttpsTransport;
	tokens: TokenSource;
	retry?: Partial<RetryOptions>;
	/** Called when Graph throttles us, e.g. to log "429 from Graph, waiting 2 s". */
	onThrottle?: (info: { status: number; waitMs: number; url: string; mailbox?: string }) => void;
}

/**
 * Graph's limit is per mailbox, whoever asks: every webhook call and poll builds its own
 * client, so the 4-slot limiters live here, one per mailbox for the whole process.
 */
const mailboxLimiters = new Map<string, Limiter>();

/** Carries the exact URL to the terminal handler, so absolute links are never re-encoded. */
class VerbatimUrl implements MiddlewareOptions {
	constructor(readonly url: string) {}
}

/** The last handler of the SDK chain: sends through our https transport, returns the raw response. */
class HttpsHandler implements Middleware {
	constructor(private readonly transport: HttpsTransport) {}

	async execute(context: Context): Promise<void> {
		const verbatim = context.middlewareControl?.getMiddlewareOptions(VerbatimUrl) as
			| VerbatimUrl
			| undefined;
		const url =
			verbatim?.url ??
			(typeof context.request === 'string' ? context.request : context.request.url);
		const options = context.options ?? {};
		const headers: Record<string, string> = {};
		const given = options.headers as Record<string, string> | Headers | undefined;
		if (given instanceof Headers) given.forEach((value, name) => (headers[name] = value));
		else if (given) Object.assign(headers, given);
		const response = await this.transport.send({
			method: options.method ?? 'GET',
			url,
			headers,
			body: typeof options.body === 'string' ? options.body : undefined,
		});
		(context as { response: unknown }).response = response;
	}
}

/**
 * Graph over the official SDK (URL building, the Authorization handler with its
 * Graph-host/customHosts check), with our own terminal handler, THE retry policy
 * (lib/util/retry.ts, honours Retry-After on 429/503) and one 4-slot limiter per mailbox.
 */
export class GraphClient {
	private readonly client: Client;
	private readonly retry: RetryOptions;

	constructor(private readonly options: GraphClientOptions) {
		const auth = new AuthenticationHandler({
			getAccessToken: () => options.tokens.getAccessToken(),
		});
		auth.setNext(new HttpsHandler(options.transport));
		const host = new URL(options.graphBaseUrl).hostname;
		this.client = Client.initWithMiddleware({
			middleware: auth,
			baseUrl: `${options.graphBaseUrl}/`,
			defaultVersion: 'v1.0',
			customHosts: new Set([host]),
		});
		// Graph throttling comes in storms (many 429s in a row, each with its Retry-After): more
		// attempts than the shared default, same policy.
		this.retry = { ...DEFAULT_RETRY, retries: GRAPH_RETRIES, ...options.retry };
	}

	limiterFor(mailbox: string): Limiter {
		const key = `${this.options.graphBaseUrl}|${mailbox.toLowerCase()}`;
		let limiter = mailboxLimiters.get(key);
		if (!limiter) mailboxLimiters.set(key, (limiter = createLimiter(MAILBOX_CONCURRENCY)));
		return limiter;
	}

	/** JSON request/response; throws MailIntelError for any status not 2xx or in `accept`. */
	async json<T>(spec: GraphRequestSpec): Promise<GraphResult<T>> {
		return this.request(spec, async (status, headers, body) => {
			const text = await readText(body);
			return { status, headers, data: (text ? JSON.parse(text) : undefined) as T };
		});
	}

	/** A streamed body (`$value`); the stream is handed over while the limiter slot is released. */
	async stream(spec: GraphRequestSpec): Promise<GraphResult<Readable>> {
		return this.request(spec, async (status, headers, body) => ({ status, headers, data: body }));
	}

	private async request<R>(
		spec: GraphRequestSpec,
		read: (status: number, headers: Record<string, string>, body: Readable) => Promise<R>,
	): Promise<R> {
		const limiter = spec.mailbox ? this.limiterFor(spec.mailbox) : undefined;
		const attempt = async () => {
			// The SDK turns any error of its auth handler into a GraphError; asking first keeps our
			// MailIntelError (field, hint). Outside the mailbox slot: a token refresh holds no slot.
			await this.options.tokens.getAccessToken();
			const send = async () => {
				const absolute = /^https:\/\//i.test(spec.url);
				let request = this.client.api(spec.url).responseType(ResponseType.RAW);
				if (absolute) request = request.middlewareOptions([new VerbatimUrl(spec.url)]);
				request = request.header(
					'Prefer',
					[PREFER_IMMUTABLE_ID, ...(spec.prefer ?? [])].join(', '),
				);
				const raw = (await this.dispatch(request, spec)) as {
					status: number;
					headers: Record<string, string>;
					body: Readable;
				};
				if ((raw.status >= 200 && raw.status < 300) || spec.accept?.includes(raw.status)) {
					return read(raw.status, raw.headers, raw.body);
				}
				throw await this.failure(raw, spec);
			};
			return limiter ? limiter(send) : send();
		};
		return withRetry(attempt, {
			...this.retry,
			onRetry: (error, _attempt, waitMs) => {
				const status = (error as MailIntelError).status ?? 0;
				this.options.onThrottle?.({ status, waitMs, url: spec.url, mailbox: spec.mailbox });
				this.retry.onRetry?.(error, _attempt, waitMs);
			},
		});
	}

	private dispatch(request: ReturnType<Client['api']>, spec: GraphRequestSpec): Promise<unknown> {
		switch (spec.method) {
			case 'GET':
				return request.get();
			case 'POST':
				return request.post(spec.body ?? {});
			case 'PATCH':
				return request.patch(spec.body ?? {});
			case 'DELETE':
				return request.delete();
		}
	}

	private async failure(
		raw: { status: number; headers: Record<string, string>; body: Readable },
		spec: GraphRequestSpec,
	): Promise<MailIntelError> {
		const text = await readText(raw.body).catch(() => '');
		let code: string | undefined;
		let message = text.slice(0, 300);
		try {
			const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
			code = parsed.error?.code;
			message = parsed.error?.message ?? message;
		} catch {
			// not JSON: keep the text
		}
		return httpError({
			source: 'graph',
			status: raw.status,
			code,
			message: `Graph ${spec.method} ${shortUrl(spec.url)} failed (${raw.status}${code ? ` ${code}` : ''}): ${message}`,
			requestId: raw.headers['request-id'],
			retryAfter: raw.headers['retry-after'],
			hint: hintFor(raw.status, code),
		});
	}
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

/** `users/{upn}` path segment, encoded once where URLs are built (STYLE.md §5). */
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
