import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { EICAR } from '../../fixtures/eicar';
import { ENCRYPTED_HEADER_BYTES, ENCRYPTED_MARKER, passwordDigest, xor } from './encrypted';

/**
 * A DSXA scanner fake (the real one is a closed image that cannot run here), following the
 * documented protocol (/work/shared/apis/dsx/dsxa-openapi.derived.json):
 * - `POST /scan/binary/v2` reads the raw body as a stream (chunked or not) and never holds it:
 *   it hashes it and looks for the EICAR string across chunk boundaries (Malicious, threat
 *   type VIRUS), anything else is Benign. `AUTH`/`AUTH_TOKEN` must match `token` when one is set
 *   (else 401). A body in the fake's encrypted-archive format (encrypted.ts) is read only with
 *   the right `scan_password` (base64); without it: "Not Scanned", "File is password protected".
 * - `POST /scan/by_hash` (`{"hash": ...}` or the raw hash text) answers the verdict of a hash
 *   it has scanned, else "Unknown".
 * - Faults on demand: "initializing" answers, 5xx answers, a delay before each answer.
 * - Answers in the flat shape or the nested `details` (camelCase) shape.
 * - Counts requests in flight from their first byte until their answer is sent, which is after
 *   their body has ended (`maxInFlight`): what a client's concurrency limit must bound.
 */
export type AnswerShape = 'flat' | 'nested';

export interface ScanRecord {
	path: string;
	headers: http.IncomingHttpHeaders;
	bytes: number;
	sha256: string;
	verdict: string;
}

export interface FakeDsxa {
	url: string;
	token: string | undefined;
	/** Requests sending their body or waiting for their answer right now, and the most there ever were. */
	readonly inFlight: number;
	readonly maxInFlight: number;
	/** Every scan and hash request answered, in order (none with `record: false`). */
	readonly scans: ScanRecord[];
	shape: AnswerShape;
	/** Delay before each answer, after the body. */
	delayMs: number;
	/** The next `count` scan requests answer "Not Scanned" + initializing. */
	initializing(count: number): void;
	/** The next `count` scan requests answer `status` (default 503). */
	failNext(count: number, status?: number): void;
	resetCounters(): void;
	stop(): Promise<void>;
}

export interface FakeDsxaOptions {
	token?: string;
	shape?: AnswerShape;
	/** Serve https with this key and certificate (PEM). */
	tls?: { keyPem: string; certPem: string };
	port?: number;
	/**
	 * Keep a record (path, headers, size, hash, verdict) of each request; default true. A
	 * throughput benchmark turns it off: it runs the fake in its own process, where thousands of
	 * kept records (each with its parsed headers) are promoted and marked at every full GC, a cost
	 * of the fake and not of the client being measured, and larger for the client that sends more
	 * headers.
	 */
	record?: boolean;
}

/** An encrypted body is buffered to decode it; beyond this the fake refuses it (a test bug). */
const MAX_ENCRYPTED_BYTES = 16 * 1024 * 1024;

export async function startFakeDsxa(options: FakeDsxaOptions = {}): Promise<FakeDsxa> {
	let inFlight = 0;
	let maxInFlight = 0;
	let initializingLeft = 0;
	let failures = { left: 0, status: 503 };
	const known = new Map<string, { verdict: string; threatType?: string }>();
	const scans: ScanRecord[] = [];
	// Built only when kept: reading req.headers parses them.
	const keep = (record: () => ScanRecord) => {
		if (options.record !== false) scans.push(record());
	};
	const timers = new Set<NodeJS.Timeout>();
	const state = { shape: options.shape ?? ('flat' as AnswerShape), delayMs: 0 };

	const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
		const path = (req.url ?? '/').split('?')[0]!;
		inFlight++;
		maxInFlight = Math.max(maxInFlight, inFlight);
		let counted = true;
		const uncount = () => {
			if (counted) {
				counted = false;
				inFlight--;
			}
		};
		res.once('close', uncount);
		const answer = (status: number, body: unknown) => {
			const send = () => {
				if (res.destroyed) return;
				res.writeHead(status, { 'content-type': 'application/json' });
				res.end(JSON.stringify(body));
			};
			if (state.delayMs > 0) {
				const timer = setTimeout(() => {
					timers.delete(timer);
					send();
				}, state.delayMs);
				timers.add(timer);
			} else send();
		};
		if (options.token !== undefined) {
			const given = req.headers['auth'] ?? req.headers['auth_token'];
			if (given !== options.token) {
				req.resume();
				req.once('end', () => answer(401, { detail: 'Unauthorized' }));
				return;
			}
		}
		if (req.method === 'POST' && path === '/scan/binary/v2') return scanBody(req, path, answer);
		if (req.method === 'POST' && path === '/scan/by_hash') return byHash(req, path, answer);
		req.resume();
		req.once('end', () => answer(404, { detail: `no route ${req.method} ${path}` }));
	};

	const scanBody = (
		req: http.IncomingMessage,
		path: string,
		answer: (status: number, body: unknown) => void,
	) => {
		const hash = createHash('sha256');
		let bytes = 0;
		let tail = Buffer.alloc(0);
		let found = false;
		let head = Buffer.alloc(0);
		let encrypted: Buffer[] | undefined;
		let encryptedBytes = 0;
		req.on('data', (chunk: Buffer) => {
			bytes += chunk.length;
			hash.update(chunk);
			if (head.length < ENCRYPTED_HEADER_BYTES)
				head = Buffer.concat([head, chunk.subarray(0, ENCRYPTED_HEADER_BYTES - head.length)]);
			if (encrypted === undefined && head.length >= ENCRYPTED_MARKER.length) {
				encrypted = head.subarray(0, ENCRYPTED_MARKER.length).equals(ENCRYPTED_MARKER)
					? []
					: undefined;
			}
			if (encrypted) {
				encryptedBytes += chunk.length;
				if (encryptedBytes <= MAX_ENCRYPTED_BYTES) encrypted.push(chunk);
				return;
			}
			// EICAR may straddle two chunks: search the previous chunk's tail joined to this one.
			if (!found) {
				const window = Buffer.concat([tail, chunk]);
				found = window.includes(EICAR);
				tail = window.subarray(Math.max(0, window.length - (EICAR.length - 1)));
			}
		});
		req.once('end', () => {
			const sha256 = hash.digest('hex');
			const record = (verdict: string) =>
				keep(() => ({ path, headers: req.headers, bytes, sha256, verdict }));
			if (failures.left > 0) {
				failures.left--;
				record(`HTTP ${failures.status}`);
				return answer(failures.status, { detail: 'scanner failure (fake)' });
			}
			if (initializingLeft > 0) {
				initializingLeft--;
				record('Not Scanned');
				return answer(
					200,
					shaped(state.shape, {
						verdict: 'Not Scanned',
						event_description: 'Scanner is initializing, please retry',
						sha256,
						bytes,
						metadata: req.headers['x-custom-metadata'],
					}),
				);
			}
			if (encrypted) {
				const body = Buffer.concat(encrypted);
				const digest = body
					.subarray(ENCRYPTED_MARKER.length, ENCRYPTED_HEADER_BYTES - 1)
					.toString();
				const header = req.headers['scan_password'];
				const password =
					typeof header === 'string' ? Buffer.from(header, 'base64').toString('utf8') : undefined;
				if (password === undefined || passwordDigest(password) !== digest) {
					record('Not Scanned');
					return answer(
						200,
						shaped(state.shape, {
							verdict: 'Not Scanned',
							event_description: 'File is password protected',
							reason: password === undefined ? 'no scan_password' : 'wrong scan_password',
							sha256,
							bytes,
							metadata: req.headers['x-custom-metadata'],
						}),
					);
				}
				found = xor(body.subarray(ENCRYPTED_HEADER_BYTES), Buffer.from(password)).includes(EICAR);
			}
			const verdict = found ? 'Malicious' : 'Benign';
			const threatType = found ? 'VIRUS' : undefined;
			known.set(sha256, { verdict, ...(threatType ? { threatType } : {}) });
			record(verdict);
			answer(
				200,
				shaped(state.shape, {
					verdict,
					event_description: found ? 'DFI - Malicious file detected' : 'File identified as benign',
					...(threatType ? { threat_type: threatType } : {}),
					sha256,
					bytes,
					metadata: req.headers['x-custom-metadata'],
				}),
			);
		});
	};

	const byHash = (
		req: http.IncomingMessage,
		path: string,
		answer: (status: number, body: unknown) => void,
	) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.once('end', () => {
			const text = Buffer.concat(chunks).toString('utf8').trim();
			let hash = text;
			try {
				hash = String((JSON.parse(text) as { hash?: string }).hash ?? '');
			} catch {
				// the Python SDK's raw hash text
			}
			const hit = known.get(hash.toLowerCase());
			keep(() => ({
				path,
				headers: req.headers,
				bytes: 0,
				sha256: hash,
				verdict: hit?.verdict ?? 'Unknown',
			}));
			answer(
				200,
				shaped(state.shape, {
					verdict: hit?.verdict ?? 'Unknown',
					event_description: hit ? 'Known hash' : 'Hash not found',
					...(hit?.threatType ? { threat_type: hit.threatType } : {}),
					sha256: hash,
					bytes: 0,
				}),
			);
		});
	};

	const server = options.tls
		? https.createServer({ key: options.tls.keyPem, cert: options.tls.certPem }, handler)
		: http.createServer(handler);
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;

	return {
		url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
		token: options.token,
		get inFlight() {
			return inFlight;
		},
		get maxInFlight() {
			return maxInFlight;
		},
		scans,
		get shape() {
			return state.shape;
		},
		set shape(value) {
			state.shape = value;
		},
		get delayMs() {
			return state.delayMs;
		},
		set delayMs(value) {
			state.delayMs = value;
		},
		initializing(count) {
			initializingLeft = count;
		},
		failNext(count, status = 503) {
			failures = { left: count, status };
		},
		resetCounters() {
			maxInFlight = inFlight;
			scans.length = 0;
		},
		stop: () =>
			new Promise<void>((resolve) => {
				for (const timer of timers) clearTimeout(timer);
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

interface Answer {
	verdict: string;
	event_description: string;
	reason?: string;
	threat_type?: string;
	sha256: string;
	bytes: number;
	metadata?: string | string[];
}

/** The flat (snake_case) or nested (`details`, camelCase) ScanResponse. */
function shaped(shape: AnswerShape, answer: Answer): Record<string, unknown> {
	const scanGuid = randomUUID().replace(/-/g, '');
	const metadata = typeof answer.metadata === 'string' ? answer.metadata : undefined;
	const verdictDetails = {
		event_description: answer.event_description,
		reason: answer.reason ?? '',
		threat_type: answer.threat_type ?? null,
	};
	const fileInfo = {
		file_type: 'UnknownFileType',
		file_size_in_bytes: answer.bytes,
		file_hash: answer.sha256,
	};
	if (shape === 'flat')
		return {
			scan_guid: scanGuid,
			verdict: answer.verdict,
			verdict_details: verdictDetails,
			file_info: fileInfo,
			protected_entity: 1,
			scan_duration_in_microseconds: 100,
			...(metadata ? { 'X-Custom-Metadata': metadata } : {}),
		};
	return {
		scan_guid: scanGuid,
		verdict: answer.verdict,
		details: {
			verdictDetails: {
				eventDescription: verdictDetails.event_description,
				reason: verdictDetails.reason,
				threatType: verdictDetails.threat_type,
			},
			fileInfo: {
				fileType: fileInfo.file_type,
				fileSizeInBytes: fileInfo.file_size_in_bytes,
				fileHash: fileInfo.file_hash,
			},
			...(metadata ? { xCustomMetadata: metadata } : {}),
		},
	};
}
