import { createHash, randomUUID } from 'node:crypto';

import { GraphQLError } from 'graphql';

import {
	externalReferenceStandardId,
	identityStandardId,
	labelStandardId,
	reportStandardId,
} from './standard-id';

/** The TLP markings every OpenCTI platform seeds: internal id (random) + fixed STIX id. */
export const SEEDED_MARKINGS: Record<string, string> = {
	'TLP:CLEAR': 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
	'TLP:GREEN': 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
	'TLP:AMBER': 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
	'TLP:AMBER+STRICT': 'marking-definition--826578e1-40ad-459f-bc73-ede076f81f37',
	'TLP:RED': 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
};

export interface UploadedPart {
	filename: string;
	mimetype: string;
	data: Buffer;
}

export interface StoredFile {
	id: string;
	name: string;
	mimeType: string;
	size: number;
	sha256: string;
	data: Buffer;
	/** STIX ids of the file's markings. */
	markings: string[];
	noTriggerImport: boolean;
	embedded: boolean;
}

export interface StoredReport {
	id: string;
	standard_id: string;
	name: string;
	description?: string;
	content?: string;
	published: string;
	report_types: string[];
	confidence?: number;
	/** Standard id of the author. */
	createdBy?: string;
	/** STIX ids. */
	objectMarking: string[];
	/** Label values. */
	objectLabel: string[];
	/** External references as stored. */
	externalReferences: Array<{ source_name: string; external_id?: string; url?: string }>;
	files: StoredFile[];
	/** How many times reportAdd answered with this report (1 = created, more = upserted). */
	upserts: number;
}

interface Entity {
	id: string;
	standard_id: string;
	entity_type: string;
	[key: string]: unknown;
}

function functionalError(message: string, code = 'FUNCTIONAL_ERROR'): GraphQLError {
	return new GraphQLError(message, {
		extensions: { code, data: { http_status: 500, genre: 'BUSINESS' } },
	});
}

/**
 * In-memory OpenCTI knowledge: the few entity types the pack writes. Each create is an upsert
 * on the entity's standard id, as on the platform, and references resolve by internal or
 * standard id (OpenCTI accepts both).
 */
export class FakeOpenCtiStore {
	readonly reports = new Map<string, StoredReport>();
	private readonly entities = new Map<string, Entity>();

	constructor() {
		for (const [definition, stixId] of Object.entries(SEEDED_MARKINGS)) {
			this.put({
				id: randomUUID(),
				standard_id: stixId,
				entity_type: 'Marking-Definition',
				definition,
			});
		}
	}

	private put(entity: Entity): Entity {
		this.entities.set(entity.id, entity);
		this.entities.set(entity.standard_id, entity);
		return entity;
	}

	resolve(ref: string, type?: string): Entity {
		const entity = this.entities.get(ref);
		if (!entity || (type && entity.entity_type !== type)) {
			throw functionalError(`Element(s) not found: ${ref}`, 'MISSING_REFERENCE_ERROR');
		}
		return entity;
	}

	identityAdd(input: { type: string; name: string; description?: string }): Entity {
		const standard_id = identityStandardId(input.name, input.type.toLowerCase());
		return (
			this.entities.get(standard_id) ??
			this.put({
				id: randomUUID(),
				standard_id,
				entity_type: input.type,
				name: input.name,
				description: input.description,
				__typename: input.type,
			})
		);
	}

	labelAdd(input: { value: string }): Entity {
		const standard_id = labelStandardId(input.value);
		return (
			this.entities.get(standard_id) ??
			this.put({ id: randomUUID(), standard_id, entity_type: 'Label', value: input.value })
		);
	}

	externalReferenceAdd(input: { source_name: string; external_id?: string; url?: string }): Entity {
		const standard_id = externalReferenceStandardId(
			input.source_name,
			input.external_id,
			input.url,
		);
		return (
			this.entities.get(standard_id) ??
			this.put({ id: randomUUID(), standard_id, entity_type: 'External-Reference', ...input })
		);
	}

	reportAdd(input: Record<string, unknown>, parts: Array<UploadedPart | null>): StoredReport {
		const name = String(input.name ?? '');
		// ReportAddInput.name: "Minimal length: 2, Must match format: not-blank".
		if (name.trim().length === 0 || name.length < 2) {
			throw functionalError(
				`The value of name is invalid: minimal length is 2 and it must not be blank`,
				'VALIDATION_ERROR',
			);
		}
		const standard_id = reportStandardId(name, String(input.published));
		const markings = ((input.objectMarking as string[] | undefined) ?? []).map(
			(ref) => this.resolve(ref, 'Marking-Definition').standard_id,
		);
		const createdBy = input.createdBy
			? this.resolve(String(input.createdBy)).standard_id
			: undefined;
		const labels = ((input.objectLabel as string[] | undefined) ?? []).map((ref) =>
			String(this.resolve(ref, 'Label').value),
		);
		const references = ((input.externalReferences as string[] | undefined) ?? []).map((ref) => {
			const entity = this.resolve(ref, 'External-Reference');
			return {
				source_name: String(entity.source_name),
				...(entity.external_id ? { external_id: String(entity.external_id) } : {}),
				...(entity.url ? { url: String(entity.url) } : {}),
			};
		});
		let report = this.reports.get(standard_id);
		if (report) {
			report.upserts++;
		} else {
			report = {
				id: randomUUID(),
				standard_id,
				name,
				...(input.description === undefined ? {} : { description: String(input.description) }),
				...(input.content === undefined ? {} : { content: String(input.content) }),
				published: String(input.published),
				report_types: (input.report_types as string[] | undefined) ?? [],
				...(input.confidence === undefined ? {} : { confidence: Number(input.confidence) }),
				...(createdBy ? { createdBy } : {}),
				objectMarking: markings,
				objectLabel: labels,
				externalReferences: references,
				files: [],
				upserts: 1,
			};
			this.reports.set(standard_id, report);
			this.put({ id: report.id, standard_id, entity_type: 'Report' });
		}
		const fileMarkings = (input.filesMarkings as string[][] | undefined) ?? [];
		const noTrigger = (input.noTriggerImport as boolean[] | undefined) ?? [];
		const embedded = (input.embedded as boolean[] | undefined) ?? [];
		parts.forEach((part, index) => {
			if (!part) throw functionalError(`files[${index}] was declared but no file part was sent`);
			this.attach(
				report,
				part,
				fileMarkings[index] ?? [],
				noTrigger[index] ?? false,
				embedded[index] ?? false,
			);
		});
		return report;
	}

	importPush(
		entityId: string,
		part: UploadedPart,
		fileMarkings: string[],
		noTriggerImport: boolean,
	): StoredFile | null {
		const entity = this.entities.get(entityId);
		if (!entity || entity.entity_type !== 'Report') return null;
		const report = this.reports.get(entity.standard_id);
		if (!report) return null;
		return this.attach(report, part, fileMarkings, noTriggerImport, false);
	}

	/** A file with the same name replaces the previous one, as the platform's file store does. */
	private attach(
		report: StoredReport,
		part: UploadedPart,
		markings: string[],
		noTriggerImport: boolean,
		embedded: boolean,
	): StoredFile {
		const file: StoredFile = {
			id: `import/Report/${report.id}/${part.filename}`,
			name: part.filename,
			mimeType: part.mimetype,
			size: part.data.length,
			sha256: createHash('sha256').update(part.data).digest('hex'),
			data: part.data,
			markings: markings.map((ref) => this.resolve(ref, 'Marking-Definition').standard_id),
			noTriggerImport,
			embedded,
		};
		report.files = report.files.filter((existing) => existing.name !== file.name).concat(file);
		return file;
	}
}
