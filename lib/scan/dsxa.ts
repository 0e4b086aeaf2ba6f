import { MailIntelError } from '../errors';
import { HttpTransport, type BufferedResponse, type HttpRequest, type TlsTrust } from '../http';
import { httpError } from '../util/http-error';
import { SharedTexts } from '../util/shared-texts';
import { readDsxaAnswer, toEngineVerdict } from './dsxa-response';
import { DEFAULT_SCAN_TIMEOUT_MS } from './run';
import type { EngineVerdict, ScanEngine, ScanInput } from './types';

export interface DsxaOptions extends TlsTrust {
	/** Scanner root, e.g. `http://dsxa:5000` (DSXA listens on plain HTTP 5000 unless TLS is set up). */
	url: string;
	/**
	 * Accept an http:// scanner URL while a token is set: the token then crosses the network in
	 * clear text (DSXA listens on plain HTTP unless TLS is set up; only for a trusted network).
	 */
	allowUnencryptedHttp?: boolean;
	/** The scanner's AUTH_TOKEN, sent as both `AUTH` and `AUTH_TOKEN` as the DSXA SDKs do. */
	token?: string;
	/** Protected entity (policy) id; DSXA's JS SDK default is 1. */
	protectedEntity?: number;
	/** Longest wait for one answer (the upload plus the scan). */
	timeoutMs?: number;
	/** For tests and benchmarks; one is built from the options otherwise. */
	transport?: HttpTransport;
}

/** DSXA answers are a small JSON document. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** No throttle or retry hooks: one object for every call. */
const NO_HOOKS = {} as const;

/**
 * The Deep Instinct DSXA scanner as a ScanEngine: the bytes streamed to `POST /scan/binary/v2`
 * through the pack's HTTP transport (never a buffer of the file), `POST /scan/by_hash` for
 * reputation. The transport does not retry (a streamed body is gone once sent, and the runner
 * retries the whole file, opening its bytes again).
 */
export class DsxaEngine implements ScanEngine {
	readonly name = 'dsxa' as const;
	private readonly transport: HttpTransport;
	private readonly base: string;
	private readonly uploadHeaders: Readonly<Record<string, string>>;
	private readonly hashHeaders: Readonly<Record<string, string>>;
	private readonly uploadUrl: string;
	/** DSXA's few reason texts ("File identified as benign"), one copy each for all verdicts. */
	private readonly reasons = new SharedTexts();

	constructor(private readonly options: DsxaOptions) {
		this.base = scannerBase(options.url);
		this.uploadUrl = `${this.base}/scan/binary/v2`;
		if (this.base.startsWith('http:') && options.token && !options.allowUnencryptedHttp)
			throw new MailIntelError(
				`"${this.base}" is unencrypted HTTP: the DSXA auth token would be sent in clear text`,
				{
					source: 'config',
					code: 'INSECURE_URL',
					field: 'allowUnencryptedHttp',
					hint: 'Use the https:// address of the scanner. If n8n reaches DSXA only over a trusted internal network (e.g. Docker\'s http://dsxa:5000), turn on "Allow Unencrypted HTTP" in the Deep Instinct DSX credential.',
				},
			);
		this.uploadHeaders = { ...this.commonHeaders(), 'content-type': 'application/octet-stream' };
		this.hashHeaders = { ...this.commonHeaders(), 'content-type': 'application/json' };
		const timeoutMs = options.timeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS;
		this.transport =
			options.transport ??
			new HttpTransport({
				source: 'dsx',
				field: 'url',
				retry: { retries: 0 },
				timeouts: { responseMs: timeoutMs, idleMs: timeoutMs },
				...(options.ca ? { ca: options.ca } : {}),
				...(options.dangerouslySkipTlsVerification ? { dangerouslySkipTlsVerification: true } : {}),
			});
	}

	async scan(input: ScanInput): Promise<EngineVerdict> {
		// Built once per engine and shared while a file adds nothing of its own: the transport
		// copies what it is given, never changes it.
		let headers = this.uploadHeaders;
		const metadata = customMetadata(input.metadata);
		if (metadata || input.archivePassword) {
			const own: Record<string, string> = { ...headers };
			if (metadata) own['x-custom-metadata'] = metadata;
			if (input.archivePassword)
				own['scan_password'] = Buffer.from(input.archivePassword, 'utf8').toString('base64');
			headers = own;
		}
		const request: HttpRequest = {
			method: 'POST',
			url: this.uploadUrl,
			headers,
			body: await input.open(),
		};
		if (input.signal) request.signal = input.signal;
		const response = await this.transport.requestBuffered(request, NO_HOOKS, MAX_ANSWER_BYTES);
		const verdict = toEngineVerdict(readDsxaAnswer(this.parse(response)));
		if (verdict.reason) verdict.reason = this.reasons.shared(verdict.reason);
		return verdict;
	}

	/** The verdict DSXA already holds for this SHA-256, or undefined when it has none. */
	async byHash(sha256: string): Promise<EngineVerdict | undefined> {
		const response = await this.transport.requestBuffered(
			{
				method: 'POST',
				url: `${this.base}/scan/by_hash`,
				headers: this.hashHeaders,
				body: JSON.stringify({ hash: sha256 }),
				idempotent: true,
			},
			NO_HOOKS,
			MAX_ANSWER_BYTES,
		);
		if (response.status === 404) return undefined;
		const answer = readDsxaAnswer(this.parse(response));
		// Unknown / Not Scanned by hash = never seen: upload the bytes.
		if (answer.verdict === 'Unknown' || answer.verdict === 'Not Scanned') return undefined;
		return toEngineVerdict(answer);
	}

	private commonHeaders(): Record<string, string> {
		const headers: Record<string, string> = {
			protected_entity: String(this.options.protectedEntity ?? 1),
		};
		if (this.options.token) {
			headers['auth'] = this.options.token;
			headers['auth_token'] = this.options.token;
		}
		return headers;
	}

	/** The answer's JSON, or the error its status means. */
	private parse(response: BufferedResponse): unknown {
		const text = response.body.toString('utf8');
		if (response.status === 401 || response.status === 403)
			throw new MailIntelError(
				`the DSXA scanner refused the auth token (HTTP ${response.status})`,
				{
					source: 'dsx',
					status: response.status,
					code: 'AUTH_FAILED',
					field: 'token',
					requestId: response.clientRequestId,
					hint: "Set the credential's Auth Token to the scanner's AUTH_TOKEN (empty when the scanner runs without one).",
				},
			);
		if (response.status < 200 || response.status >= 300)
			throw httpError({
				source: 'dsx',
				status: response.status,
				message: `the DSXA scanner answered HTTP ${response.status}: ${text.slice(0, 300)}`,
				requestId: response.clientRequestId,
				retryAfter: response.headers['retry-after'],
				hint:
					response.status >= 500
						? 'The scanner failed; the scan is retried with backoff.'
						: 'Check the credential: scanner URL and protected entity.',
			});
		try {
			return JSON.parse(text);
		} catch {
			throw new MailIntelError(
				`the DSXA scanner answered HTTP ${response.status} with something other than JSON: ${text.slice(0, 120)}`,
				{
					source: 'dsx',
					code: 'BAD_RESPONSE',
					retryable: true,
					hint: 'Check that the scanner URL points at a DSXA scanner.',
				},
			);
		}
	}
}

/** The scanner root without a trailing slash; a malformed URL names the field to fix. */
function scannerBase(url: string): string {
	let parsed: URL;
	try {
		parsed = new URL(url.trim());
	} catch {
		parsed = new URL('invalid:');
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
		throw new MailIntelError(`the scanner URL "${url}" is not an http(s) URL`, {
			source: 'config',
			code: 'BAD_URL',
			field: 'url',
			hint: 'Enter the scanner root, e.g. http://dsxa.internal:5000 or https://dsxa.example.com.',
		});
	return parsed.href.replace(/\/+$/, '');
}

/**
 * `X-Custom-Metadata`: DSXA echoes it back and logs it. Values are percent-encoded (DSXA asks
 * for non-ASCII to be; commas and colons would break the key:value list).
 */
function customMetadata(metadata: Record<string, string> | undefined): string | undefined {
	if (!metadata) return undefined;
	const pairs = Object.entries(metadata)
		.filter(([, value]) => value !== undefined && value !== '')
		.map(([key, value]) => `${key}:${encodeURIComponent(value)}`);
	return pairs.length > 0 ? pairs.join(',') : undefined;
}
