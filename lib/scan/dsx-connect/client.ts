import { MailIntelError } from '../../errors';
import { readText } from '../../http/body';
import { HttpTransport, type HttpTransportOptions } from '../../http/transport';
import { httpError } from '../../util/http-error';
import { signDsxHmac, signedPathOf, type HmacCredentials } from './hmac';
import { dsxJson } from './json';
import type { ConnectorInstance, RegisterResponse, ScanRequest, StatusResponse } from './types';

/** dsx-connect's API prefix (shared/routes.py: `dsx-connect/api/v1`). */
export const API_PREFIX = '/dsx-connect/api/v1';

export interface DsxConnectClientOptions {
	/** dsx-connect's root, e.g. `https://dsx-connect.example.com:8586` (a trailing API prefix is tolerated). */
	url: string;
	/** The enrollment token dsx-connect was deployed with (`DSXCONNECT_ENROLLMENT_TOKEN`). */
	enrollmentToken: string;
	http?: Pick<HttpTransportOptions, 'timeouts' | 'ca' | 'dangerouslySkipTlsVerification' | 'retry'>;
}

/** What registration gave this connector: its HMAC credentials, kept in memory only. */
export interface Enrollment extends HmacCredentials {
	connector: ConnectorInstance;
	/** 201 registered, 200 refreshed (a heartbeat). */
	status: number;
}

export function normalizeCoreUrl(url: string): string {
	const trimmed = url.trim().replace(/\/+$/, '');
	let parsed: URL;
	try {
		parsed = new URL(trimmed);
	} catch {
		parsed = new URL('invalid:');
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
		throw new MailIntelError(`"${url}" is not an http(s) URL`, {
			source: 'config',
			code: 'BAD_CONFIG',
			field: 'url',
			hint: "Give dsx-connect's root URL, e.g. https://dsx-connect.example.com:8586.",
		});
	return trimmed.endsWith(API_PREFIX) ? trimmed.slice(0, -API_PREFIX.length) : trimmed;
}

/**
 * The connector side of dsx-connect's API, through the pack's one HTTP transport (timeouts,
 * proxies, the credential's CA): registration with the enrollment token (idempotent; repeated as
 * the heartbeat, it returns the same HMAC credentials) and signed scan requests.
 */
export class DsxConnectClient {
	readonly baseUrl: string;
	private readonly transport: HttpTransport;

	constructor(private readonly options: DsxConnectClientOptions) {
		this.baseUrl = normalizeCoreUrl(options.url);
		if (!options.enrollmentToken)
			throw new MailIntelError('the dsx-connect credential has no enrollment token', {
				source: 'config',
				code: 'BAD_CONFIG',
				field: 'enrollmentToken',
				hint: 'Use the value of DSXCONNECT_ENROLLMENT_TOKEN of your dsx-connect deployment.',
			});
		this.transport = new HttpTransport({ source: 'dsx', field: 'url', ...options.http });
	}

	/** POST /connectors/register. Registration is an upsert on the uuid, so a retry is harmless. */
	async register(connector: ConnectorInstance): Promise<Enrollment> {
		const url = `${this.baseUrl}${API_PREFIX}/connectors/register`;
		const response = await this.transport.request({
			method: 'POST',
			url,
			idempotent: true,
			headers: {
				'content-type': 'application/json',
				accept: 'application/json',
				'x-enrollment-token': this.options.enrollmentToken,
			},
			body: dsxJson(connector),
		});
		const text = await readText(response.body, { source: 'dsx' });
		if (response.status === 401 || response.status === 403) throw refusedToken(response.status);
		if (response.status !== 200 && response.status !== 201)
			throw failure('register', response.status, text, url);
		const body = parseJson<RegisterResponse>(text, url);
		if (!body.hmac_key_id || !body.hmac_secret) throw authDisabled();
		return {
			connector,
			keyId: body.hmac_key_id,
			secret: body.hmac_secret,
			status: response.status,
		};
	}

	/**
	 * POST /connectors/token: proves the URL and the enrollment token without registering
	 * anything (the credential test). dsx-connect answers 400 `auth_disabled` when its
	 * authentication is off, which this connector cannot work with.
	 */
	async checkEnrollmentToken(): Promise<void> {
		const url = `${this.baseUrl}${API_PREFIX}/connectors/token`;
		const response = await this.transport.request({
			method: 'POST',
			url,
			idempotent: true,
			headers: { accept: 'application/json', 'x-enrollment-token': this.options.enrollmentToken },
		});
		const text = await readText(response.body, { source: 'dsx' });
		if (response.status === 200) return;
		if (response.status === 401 || response.status === 403) throw refusedToken(response.status);
		if (response.status === 400 && text.includes('auth_disabled')) throw authDisabled();
		throw failure('token check', response.status, text, url);
	}

	/** DELETE /connectors/unregister/{uuid}, signed (deactivation). A connector already gone is fine. */
	async unregister(enrollment: Enrollment): Promise<void> {
		const url = `${this.baseUrl}${API_PREFIX}/connectors/unregister/${encodeURIComponent(enrollment.connector.uuid)}`;
		const { authorization } = signDsxHmac({
			keyId: enrollment.keyId,
			secret: enrollment.secret,
			method: 'DELETE',
			pathAndQuery: signedPathOf(url),
		});
		const response = await this.transport.request({
			method: 'DELETE',
			url,
			headers: { accept: 'application/json', authorization },
		});
		const text = await readText(response.body, { source: 'dsx' });
		if (response.status >= 300 && response.status !== 404)
			throw failure('unregister', response.status, text, url);
	}

	/** POST /scan/request, signed over the exact body bytes. Not retried: it would queue twice. */
	async requestScan(enrollment: Enrollment, request: ScanRequest): Promise<StatusResponse> {
		const url = `${this.baseUrl}${API_PREFIX}/scan/request`;
		const body = dsxJson({
			...request,
			connector: enrollment.connector,
			connector_url: enrollment.connector.url,
		});
		const { authorization } = signDsxHmac({
			keyId: enrollment.keyId,
			secret: enrollment.secret,
			method: 'POST',
			pathAndQuery: signedPathOf(url),
			body,
		});
		const response = await this.transport.request({
			method: 'POST',
			url,
			headers: {
				'content-type': 'application/json',
				accept: 'application/json',
				authorization,
			},
			body,
		});
		const text = await readText(response.body, { source: 'dsx' });
		if (response.status === 401)
			throw new MailIntelError(
				`dsx-connect refused the signed scan request (HTTP 401: ${detail(text)})`,
				{
					source: 'dsx',
					status: 401,
					code: 'HMAC_REFUSED',
					hint: "The connector's HMAC credentials are not (or no longer) known to dsx-connect, or the clocks differ by more than 60 s: reactivate the DSX Connect Connector workflow, check NTP.",
				},
			);
		if (response.status < 200 || response.status >= 300)
			throw failure('scan request', response.status, text, url);
		return parseJson<StatusResponse>(text, url);
	}
}

function refusedToken(status: number): MailIntelError {
	return new MailIntelError(`dsx-connect refused the enrollment token (HTTP ${status})`, {
		source: 'dsx',
		status,
		code: 'INVALID_ENROLLMENT_TOKEN',
		field: 'enrollmentToken',
		hint: 'Copy DSXCONNECT_ENROLLMENT_TOKEN of your dsx-connect deployment into the credential.',
	});
}

function authDisabled(): MailIntelError {
	return new MailIntelError('dsx-connect sent no HMAC credentials: its authentication is off', {
		source: 'dsx',
		code: 'AUTH_DISABLED',
		hint: 'Turn on dsx-connect authentication (DSXCONNECT_AUTH__ENABLED=true): this connector only serves signed calls.',
	});
}

function detail(text: string): string {
	try {
		const parsed = JSON.parse(text) as { detail?: unknown; message?: unknown };
		return String(parsed.detail ?? parsed.message ?? text).slice(0, 300);
	} catch {
		return text.slice(0, 300);
	}
}

function failure(what: string, status: number, text: string, url: string): MailIntelError {
	return httpError({
		source: 'dsx',
		status,
		message: `dsx-connect ${what} failed (HTTP ${status} from ${new URL(url).host}): ${detail(text)}`,
		hint:
			status === 404
				? "Check the credential URL is dsx-connect's root (the API lives under /dsx-connect/api/v1)."
				: undefined,
	});
}

function parseJson<T>(text: string, url: string): T {
	try {
		return JSON.parse(text) as T;
	} catch (error) {
		throw new MailIntelError(
			`dsx-connect answered ${new URL(url).pathname} with something that is not JSON`,
			{
				source: 'dsx',
				code: 'BAD_RESPONSE',
				field: 'url',
				hint: 'Check the credential URL points at dsx-connect.',
				cause: error,
			},
		);
	}
}
