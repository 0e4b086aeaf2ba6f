import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import busboy from 'busboy';
import {
	execute,
	GraphQLError,
	parse,
	validate,
	type DocumentNode,
	type ExecutionResult,
} from 'graphql';

import { supportsFilesInAdd } from '../../../lib/opencti/version';
import { renderReportsPage } from './page';
import { openCtiSchema } from './schema';
import { FakeOpenCtiStore, type UploadedPart } from './store';

/**
 * A small, honest stand-in for OpenCTI's GraphQL endpoint (no OpenCTI can run here):
 * parses JSON and GraphQL-multipart requests, rejects every operation that does not validate
 * against the real schema, executes the few mutations the pack uses on an in-memory store.
 */
export interface RecordedRequest {
	operationName?: string;
	multipart: boolean;
	files: number;
	status: number;
	/** Set when the request failed validation (schema, variables, multipart spec). */
	invalid?: string;
}

export type FaultKind =
	| 'unauthorized'
	/** 401 / 403 with a JSON error body and no OpenCTI code (a proxy or gateway in front of it). */
	| 'unauthorizedJson'
	| 'forbiddenJson'
	| 'authRequired'
	| 'forbidden'
	| 'graphqlError'
	| 'badGateway';

export interface Fault {
	kind: FaultKind;
	/** Only requests this returns true for fail (default: every request). */
	when?: (request: { operationName?: string; variables: Record<string, unknown> }) => boolean;
	/** How many matching requests fail before the fault clears (default: all). */
	times?: number;
	/** For graphqlError: the message OpenCTI would send. */
	message?: string;
}

export interface FakeOpenCtiOptions {
	port?: number;
	host?: string;
	/** What `about { version }` answers: `6.5.10` exercises importPush, `6.9.7`+ files in reportAdd. */
	version?: string;
	token?: string;
}

export interface FakeOpenCti {
	url: string;
	port: number;
	token: string;
	version: string;
	store: FakeOpenCtiStore;
	requests: RecordedRequest[];
	/** Requests rejected because they would not validate on the platform: a test must see none. */
	invalidRequests(): RecordedRequest[];
	fault(fault: Fault | undefined): void;
	setVersion(version: string): void;
	resetCounters(): void;
	stop(): Promise<void>;
}

const AUTH_REQUIRED = {
	message: 'You must be logged in to do this.',
	extensions: { code: 'AUTH_REQUIRED', data: { http_status: 401, genre: 'TECHNICAL' } },
};
const UPLOAD_FIELDS = [
	'file',
	'fileMarkings',
	'files',
	'filesMarkings',
	'noTriggerImport',
	'embedded',
];

interface ParsedBody {
	query: string;
	variables: Record<string, unknown>;
	operationName?: string;
	multipart: boolean;
	files: number;
}

class BadRequest extends Error {}

export async function start(options: FakeOpenCtiOptions = {}): Promise<FakeOpenCti> {
	const schema = openCtiSchema();
	const store = new FakeOpenCtiStore();
	const requests: RecordedRequest[] = [];
	const token = options.token ?? 'fake-opencti-token';
	let version = options.version ?? '6.9.7';
	let activeFault: (Fault & { remaining: number }) | undefined;

	const rootValue = {
		about: () => ({ version, dependencies: [] }),
		identityAdd: ({ input }: { input: { type: string; name: string; description?: string } }) =>
			store.identityAdd(input),
		labelAdd: ({ input }: { input: { value: string } }) => store.labelAdd(input),
		externalReferenceAdd: ({
			input,
		}: {
			input: { source_name: string; external_id?: string; url?: string };
		}) => store.externalReferenceAdd(input),
		reportAdd: ({ input }: { input: Record<string, unknown> }) => {
			const parts = ((input.files as Array<UploadedPart | null> | undefined) ?? []).map(
				(part) => part ?? null,
			);
			const report = store.reportAdd(input, parts);
			return { ...report, __typename: 'Report' };
		},
		stixDomainObjectEdit: ({ id }: { id: string }) => ({
			importPush: ({
				file,
				fileMarkings,
				noTriggerImport,
			}: {
				file: UploadedPart;
				fileMarkings?: string[];
				noTriggerImport?: boolean;
			}) => {
				const stored = store.importPush(id, file, fileMarkings ?? [], noTriggerImport ?? false);
				if (!stored)
					throw new GraphQLError(`Cannot add the file, element not found: ${id}`, {
						extensions: { code: 'FUNCTIONAL_ERROR' },
					});
				return {
					...stored,
					entity_type: 'InternalFile',
					objectMarking: [],
					uploadStatus: 'complete',
				};
			},
		}),
	};

	const server: Server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) =>
			send(res, 500, { errors: [{ message: String(error) }] }),
		);
	});

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const record: RecordedRequest = { multipart: false, files: 0, status: 200 };
		if (req.method === 'GET' && (req.url === '/' || req.url?.startsWith('/?'))) {
			res
				.writeHead(200, {
					'content-type': 'text/html; charset=utf-8',
					// Values on the page come from email strangers wrote: no script may run there.
					'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
					'x-content-type-options': 'nosniff',
				})
				.end(renderReportsPage(store, version));
			return;
		}
		if (req.method !== 'POST' || !req.url?.startsWith('/graphql')) {
			res.writeHead(404).end('not found');
			return;
		}
		requests.push(record);
		let body: ParsedBody;
		try {
			body = await readBody(req);
		} catch (error) {
			record.invalid = (error as Error).message;
			record.status = 400;
			send(res, 400, { errors: [{ message: record.invalid }] });
			return;
		}
		record.multipart = body.multipart;
		record.files = body.files;

		let document: DocumentNode;
		try {
			document = parse(body.query);
		} catch (error) {
			record.invalid = (error as Error).message;
			record.status = 400;
			send(res, 400, {
				errors: [{ message: record.invalid, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }],
			});
			return;
		}
		const operation = document.definitions.find(
			(definition) => definition.kind === 'OperationDefinition',
		);
		record.operationName =
			body.operationName ?? (operation && 'name' in operation ? operation.name?.value : undefined);
		const validationErrors = validate(schema, document);
		if (validationErrors.length) {
			record.invalid = validationErrors.map((error) => error.message).join('; ');
			record.status = 400;
			send(res, 400, {
				errors: validationErrors.map((error) => ({
					message: error.message,
					extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
				})),
			});
			return;
		}

		if (req.headers.authorization !== `Bearer ${token}`) {
			record.status = 200;
			send(res, 200, { data: null, errors: [AUTH_REQUIRED] });
			return;
		}
		if (
			activeFault &&
			activeFault.remaining > 0 &&
			(!activeFault.when ||
				activeFault.when({ operationName: record.operationName, variables: body.variables }))
		) {
			activeFault.remaining--;
			record.status = injectFault(res, activeFault);
			return;
		}

		const input = body.variables.input as Record<string, unknown> | undefined;
		if (
			record.operationName &&
			/reportAdd/i.test(body.query) &&
			input &&
			!supportsFilesInAdd(version)
		) {
			const unknown = UPLOAD_FIELDS.filter(
				(field) => field !== 'file' && field !== 'fileMarkings' && field in input,
			);
			if (unknown.length) {
				// Platforms before 6.9.7 have no such fields in ReportAddInput: coercion fails there.
				record.invalid = `Field "${unknown[0]}" is not defined by type "ReportAddInput" on OpenCTI ${version}`;
				record.status = 400;
				send(res, 400, {
					errors: [
						{
							message: `Variable "$input" got invalid value; ${record.invalid}.`,
							extensions: { code: 'BAD_USER_INPUT' },
						},
					],
				});
				return;
			}
		}

		const result = (await execute({
			schema,
			document,
			rootValue,
			variableValues: body.variables,
			operationName: body.operationName,
		})) as ExecutionResult;
		const coercion = result.errors?.filter((error) => !error.path);
		if (coercion?.length) {
			record.invalid = coercion.map((error) => error.message).join('; ');
			record.status = 400;
			send(res, 400, {
				errors: coercion.map((error) => ({
					message: error.message,
					extensions: { code: 'BAD_USER_INPUT' },
				})),
			});
			return;
		}
		send(res, 200, {
			data: result.data ?? null,
			...(result.errors
				? {
						errors: result.errors.map((error) => ({
							message: error.message,
							path: error.path,
							extensions: error.extensions,
						})),
					}
				: {}),
		});
	}

	function injectFault(res: ServerResponse, fault: Fault): number {
		switch (fault.kind) {
			case 'unauthorized':
				send(res, 401, { errors: [AUTH_REQUIRED] });
				return 401;
			case 'unauthorizedJson':
				send(res, 401, { errors: [{ message: 'Invalid or expired bearer token' }] });
				return 401;
			case 'forbiddenJson':
				send(res, 403, { errors: [{ message: 'Access denied by policy' }] });
				return 403;
			case 'authRequired':
				send(res, 200, { data: null, errors: [AUTH_REQUIRED] });
				return 200;
			case 'forbidden':
				// What OpenCTI answers when the token's user lacks a capability (e.g. KNOWLEDGE_KNUPLOAD).
				send(res, 200, {
					data: null,
					errors: [
						{
							message: 'You are not allowed to do this.',
							extensions: {
								code: 'FORBIDDEN_ACCESS',
								data: { http_status: 403, genre: 'TECHNICAL' },
							},
						},
					],
				});
				return 200;
			case 'graphqlError':
				send(res, 200, {
					data: null,
					errors: [
						{
							message: fault.message ?? 'Unexpected error',
							extensions: {
								code: 'FUNCTIONAL_ERROR',
								data: { http_status: 500, genre: 'BUSINESS' },
							},
						},
					],
				});
				return 200;
			case 'badGateway':
				res
					.writeHead(502, { 'content-type': 'text/html' })
					.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
				return 502;
		}
	}

	await new Promise<void>((resolve) =>
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
	);
	const port = (server.address() as AddressInfo).port;
	const fake: FakeOpenCti = {
		url: `http://${options.host ?? '127.0.0.1'}:${port}`,
		port,
		token,
		get version() {
			return version;
		},
		store,
		requests,
		invalidRequests: () => requests.filter((request) => request.invalid !== undefined),
		fault(fault) {
			activeFault = fault ? { ...fault, remaining: fault.times ?? Infinity } : undefined;
		},
		setVersion(next) {
			version = next;
		},
		resetCounters() {
			requests.length = 0;
		},
		stop: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
	return fake;
}

function send(res: ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<ParsedBody> {
	const type = req.headers['content-type'] ?? '';
	if (type.startsWith('multipart/form-data')) return readMultipart(req);
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	if (!type.includes('application/json'))
		throw new BadRequest(`unsupported content-type "${type}"`);
	const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
		query?: string;
		variables?: Record<string, unknown>;
		operationName?: string;
	};
	if (typeof json.query !== 'string') throw new BadRequest('the body has no "query"');
	return {
		query: json.query,
		variables: json.variables ?? {},
		operationName: json.operationName,
		multipart: false,
		files: 0,
	};
}

/** GraphQL multipart request spec: `operations`, then `map`, then the file parts, in that order. */
function readMultipart(req: IncomingMessage): Promise<ParsedBody> {
	return new Promise((resolve, reject) => {
		const parser = busboy({ headers: req.headers });
		let operations:
			| { query: string; variables?: Record<string, unknown>; operationName?: string }
			| undefined;
		let map: Record<string, string[]> | undefined;
		const files = new Map<string, UploadedPart>();
		const pending: Promise<void>[] = [];
		let failure: Error | undefined;
		parser.on('field', (name, value) => {
			try {
				if (name === 'operations') operations = JSON.parse(value);
				else if (name === 'map') {
					if (!operations) throw new BadRequest('multipart: "map" came before "operations"');
					map = JSON.parse(value);
				}
			} catch (error) {
				failure ??= error as Error;
			}
		});
		parser.on('file', (name, stream, info) => {
			if (!map) failure ??= new BadRequest(`multipart: file part "${name}" came before "map"`);
			pending.push(
				(async () => {
					const chunks: Buffer[] = [];
					for await (const chunk of stream) chunks.push(chunk as Buffer);
					files.set(name, {
						filename: info.filename ?? name,
						mimetype: info.mimeType,
						data: Buffer.concat(chunks),
					});
				})(),
			);
		});
		parser.on('error', reject);
		parser.on('close', () => {
			Promise.all(pending)
				.then(() => {
					if (failure) throw failure;
					if (!operations || !map)
						throw new BadRequest('multipart: "operations" and "map" are required');
					const variables = operations.variables ?? {};
					for (const [key, paths] of Object.entries(map)) {
						const part = files.get(key);
						if (!part)
							throw new BadRequest(`multipart: map names part "${key}" but no such file was sent`);
						for (const path of paths) setPath({ variables }, path, part);
					}
					resolve({
						query: operations.query,
						variables,
						operationName: operations.operationName,
						multipart: true,
						files: files.size,
					});
				})
				.catch(reject);
		});
		req.pipe(parser);
	});
}

/** Replaces the `null` at `variables.input.files.0` with the uploaded part (spec: the slot must be null). */
function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
	const keys = path.split('.');
	let target = root as Record<string, unknown>;
	for (const key of keys.slice(0, -1)) {
		target = target?.[key] as Record<string, unknown>;
		if (target === undefined || target === null)
			throw new BadRequest(`multipart: map path "${path}" does not exist in the variables`);
	}
	const last = keys[keys.length - 1];
	if (target[last] !== null)
		throw new BadRequest(`multipart: map path "${path}" must point at a null placeholder`);
	target[last] = value;
}
