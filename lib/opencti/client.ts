import { ClientError, GraphQLClient } from 'graphql-request';

import { isMailIntelError, MailIntelError } from '../errors';
import { transportFetch } from '../http/fetch';
import { HttpTransport, RETRY_STATUSES, type HttpTransportOptions } from '../http/transport';
import type { RetryOptions } from '../util/retry';
import { graphQlError, networkError, statusError, type GraphQlErrorEntry } from './errors';
import { multipartBody, type FileSlot } from './multipart';
import {
	ABOUT_QUERY,
	AUTHOR_ADD_MUTATION,
	EXTERNAL_REFERENCE_ADD_MUTATION,
	IMPORT_PUSH_MUTATION,
	LABEL_ADD_MUTATION,
	REPORT_ADD_MUTATION,
} from './operations';
import type {
	AuthorSpec,
	CreatedReport,
	ExternalReferenceSpec,
	FileUpload,
	ReportAddInput,
	ReportPlan,
	UploadedFile,
} from './types';
import { supportsFilesInAdd } from './version';

export interface OpenCtiClientOptions {
	/** Platform root, e.g. `https://opencti.example.com` (a trailing `/graphql` is tolerated). */
	url: string;
	token: string;
	/**
	 * Accept an `http://` URL. Off by default: the token would cross the network in clear
	 * text. For a platform reached on a trusted internal network (Docker's `http://opencti:8080`).
	 */
	allowUnencryptedHttp?: boolean;
	/**
	 * A fetch to send with instead of lib/http (a test double). Without it, requests go through
	 * the pack's transport: timeouts, HTTPS_PROXY/NO_PROXY, the CA below, retries.
	 */
	fetch?: typeof fetch;
	retry?: Partial<RetryOptions>;
	/** Timeouts, extra trusted CA (PEM), ... of the transport. */
	http?: Pick<HttpTransportOptions, 'timeouts' | 'ca' | 'dangerouslySkipTlsVerification'>;
}

/**
 * OpenCTI usually runs behind a reverse proxy that answers 502 while the platform restarts:
 * worth another try, besides the shared 429/503/504. Every operation this client sends is safe
 * to repeat (OpenCTI upserts reports, identities, labels and references on their standard ids,
 * and importPush replaces a file of the same name), so its POSTs are marked idempotent.
 */
const OPENCTI_RETRY_STATUSES = [...RETRY_STATUSES, 502];

/**
 * The platform root without trailing slashes or `/graphql`. `http://` only when the caller
 * allows it: every request carries the API token.
 */
export function normalizeBaseUrl(url: string, allowUnencryptedHttp = false): string {
	const trimmed = url
		.trim()
		.replace(/\/+$/, '')
		.replace(/\/graphql$/i, '');
	if (!/^https?:\/\/[^/]/i.test(trimmed)) {
		throw new MailIntelError(`"${url}" is not an http(s) URL`, {
			source: 'config',
			field: 'url',
			hint: 'Set the OpenCTI URL to the platform root, e.g. https://opencti.example.com',
		});
	}
	if (/^http:/i.test(trimmed) && !allowUnencryptedHttp) {
		throw new MailIntelError(
			`"${trimmed}" is unencrypted HTTP: the OpenCTI API token would be sent in clear text`,
			{
				source: 'config',
				code: 'INSECURE_URL',
				field: 'allowUnencryptedHttp',
				hint:
					'Use the https:// address of the platform in the URL field. If n8n reaches OpenCTI only over a trusted ' +
					'internal network (e.g. Docker\'s http://opencti:8080), turn on "Allow Unencrypted HTTP" in the Email Intel OpenCTI API credential.',
			},
		);
	}
	return trimmed;
}

/**
 * One client per node execution: the platform version, the author and label ids are looked up
 * once and cached on the instance (never in module state shared between executions), so after
 * the first item a report costs one request on 6.9.7+.
 */
export class OpenCtiClient {
	readonly endpoint: string;
	private readonly graphql: GraphQLClient;
	private readonly fetchImpl: typeof fetch;
	private readonly authorization: string;
	private versionPromise?: Promise<string>;
	private readonly authors = new Map<string, Promise<string>>();
	private readonly labels = new Map<string, Promise<string>>();

	constructor(options: OpenCtiClientOptions) {
		if (!options.token?.trim()) {
			throw new MailIntelError('The OpenCTI API token is empty', {
				source: 'config',
				field: 'token',
				hint: 'Paste the API token of an OpenCTI user (Profile > API access) into the OpenCTI API credential.',
			});
		}
		this.endpoint = `${normalizeBaseUrl(options.url, options.allowUnencryptedHttp)}/graphql`;
		this.fetchImpl =
			options.fetch ??
			transportFetch(
				new HttpTransport({
					...options.http,
					source: 'opencti',
					field: 'url',
					retryStatuses: OPENCTI_RETRY_STATUSES,
					...(options.retry ? { retry: options.retry } : {}),
				}),
				{ idempotent: true },
			);
		this.authorization = `Bearer ${options.token.trim()}`;
		this.graphql = new GraphQLClient(this.endpoint, {
			headers: { authorization: this.authorization },
			fetch: this.fetchImpl,
		});
	}

	/** `about { version }`, once per client. Also the credential test: it needs a valid token. */
	version(): Promise<string> {
		this.versionPromise ??= this.request<{ about: { version: string } }>(
			'about',
			ABOUT_QUERY,
			{},
		).then((data) => data.about.version);
		this.versionPromise.catch(() => (this.versionPromise = undefined));
		return this.versionPromise;
	}

	/** Upserts an Organization (OpenCTI dedupes identities on name + class) and caches its id. */
	ensureAuthor(author: AuthorSpec): Promise<string> {
		const key = author.name.trim().toLowerCase();
		let pending = this.authors.get(key);
		if (!pending) {
			pending = this.request<{ identityAdd: { id: string } }>('identityAdd', AUTHOR_ADD_MUTATION, {
				input: {
					type: 'Organization',
					name: author.name,
					...(author.description ? { description: author.description } : {}),
				},
			}).then((data) => data.identityAdd.id);
			this.authors.set(key, pending);
			pending.catch(() => this.authors.delete(key));
		}
		return pending;
	}

	/** `labelAdd` returns the existing label for a known value, so this is an upsert; cached. */
	ensureLabel(value: string): Promise<string> {
		const key = value.trim().toLowerCase();
		let pending = this.labels.get(key);
		if (!pending) {
			pending = this.request<{ labelAdd: { id: string } }>('labelAdd', LABEL_ADD_MUTATION, {
				input: { value: value.trim() },
			}).then((data) => data.labelAdd.id);
			this.labels.set(key, pending);
			pending.catch(() => this.labels.delete(key));
		}
		return pending;
	}

	async addExternalReference(reference: ExternalReferenceSpec): Promise<string> {
		const data = await this.request<{ externalReferenceAdd: { id: string } }>(
			'externalReferenceAdd',
			EXTERNAL_REFERENCE_ADD_MUTATION,
			{ input: reference },
		);
		return data.externalReferenceAdd.id;
	}

	/**
	 * Creates (or, same name + published, finds: OpenCTI upserts on the standard id) the report
	 * and attaches its files: inside reportAdd on 6.9.7+, one importPush per file before.
	 */
	async createReport(plan: ReportPlan): Promise<CreatedReport> {
		const [version, createdBy, objectLabel, externalReference] = await Promise.all([
			plan.files.length > 0 ? this.version() : undefined,
			plan.author ? this.ensureAuthor(plan.author) : undefined,
			Promise.all(plan.labels.map((label) => this.ensureLabel(label))),
			plan.externalReference ? this.addExternalReference(plan.externalReference) : undefined,
		]);
		const input: ReportAddInput = {
			...plan.input,
			...(createdBy ? { createdBy } : {}),
			...(objectLabel.length ? { objectLabel } : {}),
			...(externalReference ? { externalReferences: [externalReference] } : {}),
		};
		const uploaded = (file: FileUpload, id?: string): UploadedFile => ({
			name: file.name,
			mimeType: file.mimeType,
			size: file.data.length,
			markings: file.markings,
			...(id ? { id } : {}),
		});

		if (plan.files.length === 0) {
			const report = await this.reportAdd(input, []);
			return { ...report, files: [], uploadMode: 'none' };
		}
		if (version !== undefined && supportsFilesInAdd(version)) {
			const withFiles: ReportAddInput = {
				...input,
				files: plan.files.map(() => null),
				filesMarkings: plan.files.map((file) => file.markings),
				noTriggerImport: plan.files.map(() => plan.noTriggerImport),
				embedded: plan.files.map(() => false),
			};
			const slots = plan.files.map((file, index) => ({
				path: `variables.input.files.${index}`,
				file,
			}));
			const report = await this.reportAdd(withFiles, slots);
			return {
				...report,
				files: plan.files.map((file) => uploaded(file)),
				uploadMode: 'reportAdd',
			};
		}
		const report = await this.reportAdd(input, []);
		const files: UploadedFile[] = [];
		for (const file of plan.files) {
			const pushed = await this.uploadFile(report.id, file, plan.noTriggerImport);
			files.push(uploaded(file, pushed.id));
		}
		return { ...report, files, uploadMode: 'importPush' };
	}

	/** `stixDomainObjectEdit(id){importPush}`: attaches one file to any existing entity. */
	async uploadFile(
		entityId: string,
		file: FileUpload,
		noTriggerImport = false,
	): Promise<{ id: string; name: string; size?: number }> {
		const data = await this.multipart<{
			stixDomainObjectEdit: { importPush: { id: string; name: string; size?: number } } | null;
		}>(
			'importPush',
			IMPORT_PUSH_MUTATION,
			{ id: entityId, file: null, fileMarkings: file.markings, noTriggerImport },
			[{ path: 'variables.file', file }],
		);
		const pushed = data.stixDomainObjectEdit?.importPush;
		if (!pushed) {
			throw new MailIntelError(
				`OpenCTI has no entity with id "${entityId}" to attach "${file.name}" to`,
				{
					source: 'opencti',
					code: 'NOT_FOUND',
					field: 'entityId',
					hint: 'Pass the id or standard_id of an existing OpenCTI entity (e.g. the report id from a previous node).',
				},
			);
		}
		return pushed;
	}

	private async reportAdd(input: ReportAddInput, slots: FileSlot[]) {
		type Result = {
			reportAdd: { id: string; standard_id: string; name: string; published?: string };
		};
		const data = slots.length
			? await this.multipart<Result>('reportAdd', REPORT_ADD_MUTATION, { input }, slots)
			: await this.request<Result>('reportAdd', REPORT_ADD_MUTATION, { input });
		return data.reportAdd;
	}

	/** JSON operations through graphql-request; the transport retries what is worth it. */
	private async request<T>(
		operation: string,
		query: string,
		variables: Record<string, unknown>,
	): Promise<T> {
		try {
			return await this.graphql.request<T>(query, variables);
		} catch (error) {
			throw this.translate(error, operation);
		}
	}

	private async multipart<T>(
		operation: string,
		query: string,
		variables: Record<string, unknown>,
		slots: FileSlot[],
	): Promise<T> {
		let response: Response;
		try {
			response = await this.fetchImpl(this.endpoint, {
				method: 'POST',
				// Apollo's CSRF prevention only lets multipart requests through with a preflight header.
				headers: {
					authorization: this.authorization,
					'apollo-require-preflight': 'true',
					accept: 'application/json',
				},
				body: multipartBody(query, variables, slots),
			});
		} catch (error) {
			throw this.translate(error, operation);
		}
		const text = await response.text();
		let body: { data?: T; errors?: GraphQlErrorEntry[] } | undefined;
		try {
			body = JSON.parse(text) as typeof body;
		} catch {
			body = undefined;
		}
		// A 5xx is the platform failing, whatever its body says: retryable. Otherwise errors are OpenCTI's verdict.
		if (response.status < 500 && body?.errors?.length)
			throw graphQlError(body.errors, operation, response.status);
		if (!response.ok || !body?.data)
			throw statusError(response.status, text, response.headers.get('retry-after'));
		return body.data;
	}

	private translate(error: unknown, operation: string): MailIntelError {
		// The transport's network failures (no status) in OpenCTI's own words; the original,
		// with host:port, the phase and the client-request-id, stays as the cause.
		if (isMailIntelError(error) && error.status === undefined && error.source === 'opencti')
			return networkError(error, this.endpoint);
		if (isMailIntelError(error)) return error;
		if (error instanceof ClientError) {
			const errors = error.response.errors as GraphQlErrorEntry[] | undefined;
			if (error.response.status < 500 && errors?.length)
				return graphQlError(errors, operation, error.response.status);
			const body = (error.response as { body?: string }).body ?? '';
			return statusError(error.response.status, body, error.response.headers?.get?.('retry-after'));
		}
		return networkError(error, this.endpoint);
	}
}
