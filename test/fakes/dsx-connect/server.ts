import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { EICAR } from '../../fixtures/eicar';
import { dsxJson } from '../../../lib/scan/dsx-connect/json';
import type {
	ConnectorInstance,
	ItemActionStatusResponse,
	ScanRequest,
} from '../../../lib/scan/dsx-connect/types';
import { makeHmacHeader, verifyHmac } from './python-hmac';

/**
 * A small dsx-connect core, as its source (deep-instinct/dsx-connect@7f80724e) behaves towards a
 * connector:
 * - `POST /dsx-connect/api/v1/connectors/register` checks the enrollment token (X-Enrollment-Token
 *   or Bearer), answers 201 the first time and 200 on a refresh, and hands out HMAC credentials
 *   per connector uuid — the same ones on every re-registration (heartbeat);
 * - `POST /dsx-connect/api/v1/scan/request` verifies the connector's DSX-HMAC signature over the
 *   raw body (against the percent-decoded path) and answers 202; a request without
 *   `connector.uuid` or `connector_url` is refused with 400 (the real core would call back
 *   unsigned, which a test should see as a failure);
 * - then, as its workers do: `POST {connector_url}/read_file` (signed, the scan request as
 *   compact JSON with `\uXXXX` escapes), scans the bytes with a pluggable function (default: the
 *   EICAR string is Malicious), and on Malicious `PUT {connector_url}/item_action` (signed).
 */
/** The EICAR test file, re-exported: the bytes this fake's default scan flags. */
export { EICAR };

export type FakeVerdict = 'Benign' | 'Malicious' | 'Unknown';
export type ScanFunction = (
	bytes: Buffer,
	request: ScanRequest,
) => Promise<FakeVerdict> | FakeVerdict;

export const eicarScan: ScanFunction = (bytes) => (bytes.includes(EICAR) ? 'Malicious' : 'Benign');

/**
 * A dsx-connect core that scans the way a deployment does: the bytes it read through the
 * connector go to a DSXA scanner (`POST /scan/binary/v2`), whose verdict it acts on. Plain
 * fetch, not the pack's DSXA engine, so the fake cannot share the engine's bugs.
 */
export function dsxaScan(scannerUrl: string, token: string): ScanFunction {
	return async (bytes) => {
		const response = await fetch(`${scannerUrl}/scan/binary/v2`, {
			method: 'POST',
			headers: { auth: token, 'content-type': 'application/octet-stream' },
			body: bytes,
			signal: AbortSignal.timeout(30_000),
		});
		const answer = (await response.json()) as { verdict?: string };
		if (!response.ok) throw new Error(`DSXA answered ${response.status}`);
		return answer.verdict === 'Malicious' || answer.verdict === 'Benign'
			? answer.verdict
			: 'Unknown';
	};
}

export interface FakeDsxConnectOptions {
	enrollmentToken?: string;
	scan?: ScanFunction;
	/** Loopback port to listen on (default: a free one). The demo uses fixed ports. */
	port?: number;
}

export interface RegisteredConnector {
	instance: ConnectorInstance;
	keyId: string;
	secret: string;
	registrations: number;
}

export interface FakeScanResult {
	taskId: string;
	request: ScanRequest;
	readFile: { status: number; bytes?: number; sha256?: string; body?: string };
	verdict?: FakeVerdict;
	itemAction?: { status: number; body: string; json?: ItemActionStatusResponse };
	error?: string;
}

export type FakeEvent =
	| { type: 'register'; status: number; uuid?: string; name?: string; url?: string }
	| { type: 'scan_request'; status: number; reason?: string; location?: string }
	| { type: 'unregister'; status: number; uuid: string; reason?: string };

export interface CallbackOptions {
	/** Sign with this ts (unix seconds) instead of now. */
	ts?: number;
	nonce?: string;
	/** Send this Authorization header as is. */
	authorization?: string;
	/** Sign `body` but send `sendBody`. */
	sendBody?: Buffer;
}

export interface FakeDsxConnect {
	url: string;
	enrollmentToken: string;
	connectors: Map<string, RegisteredConnector>;
	events: FakeEvent[];
	results: FakeScanResult[];
	/** Waits until every accepted scan request has finished its callbacks. */
	settle(): Promise<void>;
	waitForResults(count: number, timeoutMs?: number): Promise<FakeScanResult[]>;
	/** One signed call to a registered connector, as the core makes it (for refusal tests). */
	callConnector(
		uuid: string,
		operation: 'read_file' | 'item_action',
		request: ScanRequest,
		options?: CallbackOptions,
	): Promise<{ status: number; body: Buffer }>;
	close(): Promise<void>;
}

const PREFIX = '/dsx-connect/api/v1';

export async function startFakeDsxConnect(
	options: FakeDsxConnectOptions = {},
): Promise<FakeDsxConnect> {
	const enrollmentToken = options.enrollmentToken ?? `enroll-${randomBytes(8).toString('hex')}`;
	const scan = options.scan ?? eicarScan;
	const connectors = new Map<string, RegisteredConnector>();
	const events: FakeEvent[] = [];
	const results: FakeScanResult[] = [];
	const running = new Set<Promise<void>>();

	const secretOfKid = (kid: string) =>
		[...connectors.values()].find((c) => c.keyId === kid)?.secret;

	async function call(
		connector: RegisteredConnector | undefined,
		method: 'POST' | 'PUT',
		url: string,
		request: ScanRequest,
		callOptions: CallbackOptions = {},
	): Promise<{ status: number; body: Buffer }> {
		const body = Buffer.from(dsxJson(request));
		const parsed = new URL(url);
		const pathQ = decodeURIComponent(parsed.pathname) + parsed.search;
		const headers: Record<string, string> = { 'content-type': 'application/json' };
		if (callOptions.authorization !== undefined) headers.authorization = callOptions.authorization;
		else if (connector)
			headers.authorization = makeHmacHeader(
				connector.keyId,
				connector.secret,
				method,
				pathQ,
				body,
				callOptions.ts,
				callOptions.nonce,
			);
		const response = await fetch(url, {
			method,
			headers,
			body: callOptions.sendBody ?? body,
			signal: AbortSignal.timeout(30_000),
		});
		return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
	}

	async function runJob(taskId: string, request: ScanRequest): Promise<void> {
		const connector = request.connector?.uuid ? connectors.get(request.connector.uuid) : undefined;
		const base = (request.connector_url ?? request.connector?.url ?? '').replace(/\/+$/, '');
		const result: FakeScanResult = { taskId, request, readFile: { status: 0 } };
		results.push(result);
		try {
			const read = await call(connector, 'POST', `${base}/read_file`, request);
			result.readFile = { status: read.status };
			if (read.status !== 200) {
				result.readFile.body = read.body.toString('utf8').slice(0, 2000);
				return;
			}
			result.readFile.bytes = read.body.length;
			result.readFile.sha256 = createHash('sha256').update(read.body).digest('hex');
			result.verdict = await scan(read.body, request);
			if (result.verdict !== 'Malicious') return;
			const action = await call(connector, 'PUT', `${base}/item_action`, request);
			const text = action.body.toString('utf8');
			result.itemAction = { status: action.status, body: text.slice(0, 4000) };
			try {
				result.itemAction.json = JSON.parse(text) as ItemActionStatusResponse;
			} catch {
				// Not JSON: the test reads `body`.
			}
		} catch (error) {
			result.error = (error as Error).message;
		}
	}

	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const url = new URL(req.url ?? '/', 'http://fake');
			const send = (status: number, json: unknown) => {
				res.writeHead(status, { 'content-type': 'application/json' });
				res.end(JSON.stringify(json));
			};
			if (req.method === 'POST' && url.pathname === `${PREFIX}/connectors/register`) {
				const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
				const token = (req.headers['x-enrollment-token'] as string | undefined) ?? bearer;
				if (token !== enrollmentToken) {
					events.push({ type: 'register', status: 401 });
					return send(401, { detail: 'invalid_enrollment_token' });
				}
				let instance: ConnectorInstance;
				try {
					instance = JSON.parse(body.toString('utf8')) as ConnectorInstance;
				} catch {
					return send(422, { detail: 'body is not JSON' });
				}
				if (!instance.uuid || !instance.name || !instance.url) {
					events.push({ type: 'register', status: 422 });
					return send(422, { detail: 'uuid, name and url are required' });
				}
				let known = connectors.get(instance.uuid);
				const status = known ? 200 : 201;
				if (!known) {
					known = {
						instance,
						keyId: randomBytes(12).toString('base64'),
						secret: randomBytes(32).toString('base64'),
						registrations: 0,
					};
					connectors.set(instance.uuid, known);
				}
				known.instance = instance;
				known.registrations++;
				events.push({
					type: 'register',
					status,
					uuid: instance.uuid,
					name: instance.name,
					url: instance.url,
				});
				return send(status, {
					status: 'success',
					message: status === 201 ? 'registered' : 'refreshed',
					description: `${instance.name} (${instance.uuid}) @ ${instance.url}`,
					connector_uuid: instance.uuid,
					access_token: randomBytes(32).toString('base64url'),
					token_type: 'Bearer',
					expires_in: 600,
					hmac_key_id: known.keyId,
					hmac_secret: known.secret,
				});
			}
			const unregister = new RegExp(`^${PREFIX}/connectors/unregister/([^/]+)$`).exec(url.pathname);
			if (req.method === 'DELETE' && unregister) {
				const uuid = decodeURIComponent(unregister[1]);
				try {
					verifyHmac(
						'DELETE',
						decodeURIComponent(url.pathname) + url.search,
						body,
						req.headers.authorization ?? '',
						secretOfKid,
					);
				} catch (error) {
					events.push({ type: 'unregister', status: 401, uuid, reason: (error as Error).message });
					return send(401, { detail: (error as Error).message });
				}
				connectors.delete(uuid);
				events.push({ type: 'unregister', status: 204, uuid });
				res.writeHead(204).end();
				return;
			}
			if (req.method === 'POST' && url.pathname === `${PREFIX}/connectors/token`) {
				if (req.headers['x-enrollment-token'] !== enrollmentToken)
					return send(401, { detail: 'invalid_enrollment_token' });
				return send(200, {
					access_token: randomBytes(32).toString('base64url'),
					token_type: 'Bearer',
					expires_in: 600,
				});
			}
			if (req.method === 'POST' && url.pathname === `${PREFIX}/scan/request`) {
				try {
					verifyHmac(
						'POST',
						decodeURIComponent(url.pathname) + url.search,
						body,
						req.headers.authorization ?? '',
						secretOfKid,
					);
				} catch (error) {
					events.push({ type: 'scan_request', status: 401, reason: (error as Error).message });
					return send(401, { detail: (error as Error).message });
				}
				let request: ScanRequest;
				try {
					request = JSON.parse(body.toString('utf8')) as ScanRequest;
				} catch {
					return send(422, { detail: 'body is not JSON' });
				}
				if (typeof request.location !== 'string' || typeof request.metainfo !== 'string') {
					events.push({
						type: 'scan_request',
						status: 422,
						reason: 'location and metainfo are required',
					});
					return send(422, { detail: 'location and metainfo are required' });
				}
				if (!request.connector?.uuid || !request.connector_url) {
					const reason =
						'connector (with uuid) and connector_url are required for signed callbacks';
					events.push({ type: 'scan_request', status: 400, reason, location: request.location });
					return send(400, { detail: reason });
				}
				const taskId = randomUUID();
				events.push({ type: 'scan_request', status: 202, location: request.location });
				const job = runJob(taskId, request).finally(() => running.delete(job));
				running.add(job);
				res.setHeader('location', `${PREFIX}/scan/request/${taskId}`);
				return send(202, { status: 'success', message: `Scan task ID: ${taskId}`, id: taskId });
			}
			send(404, { detail: 'Not Found' });
		});
	});
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	return {
		url,
		enrollmentToken,
		connectors,
		events,
		results,
		async settle() {
			while (running.size > 0) await Promise.allSettled([...running]);
		},
		async waitForResults(count, timeoutMs = 30_000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const done = results.filter((r) => r.readFile.status !== 0 || r.error);
				if (done.length >= count && running.size === 0) return results;
				if (Date.now() > deadline)
					throw new Error(
						`${done.length} of ${count} scan results after ${timeoutMs} ms: ${JSON.stringify(results).slice(0, 2000)}`,
					);
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
		},
		callConnector(uuid, operation, request, callOptions) {
			const connector = connectors.get(uuid);
			if (!connector) throw new Error(`no connector ${uuid} registered`);
			const base = connector.instance.url.replace(/\/+$/, '');
			return call(
				connector,
				operation === 'read_file' ? 'POST' : 'PUT',
				`${base}/${operation}`,
				{ ...request, connector: connector.instance, connector_url: connector.instance.url },
				callOptions,
			);
		},
		async close() {
			await Promise.allSettled([...running]);
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
