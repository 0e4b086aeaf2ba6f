/**
 * The subset of OpenCTI's GraphQL input types this pack sends (see
 * test/fakes/opencti/relay.schema.graphql: ReportAddInput, IdentityAddInput, ...).
 */
export interface ReportAddInput {
	name: string;
	description?: string;
	content?: string;
	published: string;
	report_types?: string[];
	confidence?: number;
	createdBy?: string;
	objectMarking?: string[];
	objectLabel?: string[];
	externalReferences?: string[];
	/** 6.9.7+: uploaded with the report in the same request. */
	files?: null[];
	filesMarkings?: string[][];
	noTriggerImport?: boolean[];
	embedded?: boolean[];
}

/** One file to attach to an entity; `data` is read once, when the request is sent. */
export interface FileUpload {
	name: string;
	mimeType: string;
	data: Buffer;
	/** Marking definition ids (STIX or internal) the file carries. */
	markings: string[];
}

export interface AuthorSpec {
	name: string;
	description?: string;
}

export interface ExternalReferenceSpec {
	source_name: string;
	external_id?: string;
	url?: string;
	description?: string;
}

/**
 * Everything needed to create one report; references that need an id from the platform
 * (author, labels, external reference) are named, and the client resolves them (cached).
 */
export interface ReportPlan {
	input: Omit<
		ReportAddInput,
		| 'createdBy'
		| 'objectLabel'
		| 'externalReferences'
		| 'files'
		| 'filesMarkings'
		| 'noTriggerImport'
		| 'embedded'
	>;
	author?: AuthorSpec;
	labels: string[];
	externalReference?: ExternalReferenceSpec;
	files: FileUpload[];
	/** Ask OpenCTI not to start its file import connectors on the uploaded files. */
	noTriggerImport: boolean;
}

export interface UploadedFile {
	name: string;
	mimeType: string;
	size: number;
	markings: string[];
	/** The File id OpenCTI returned (`import/Report/<id>/<name>`), when the platform returns one. */
	id?: string;
}

export interface CreatedReport {
	id: string;
	standard_id: string;
	name: string;
	published?: string;
	files: UploadedFile[];
	/** Which upload path was used: inside reportAdd (6.9.7+) or importPush per file (older). */
	uploadMode: 'reportAdd' | 'importPush' | 'none';
}
