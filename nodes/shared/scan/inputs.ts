import {
	BINARY_ENCODING,
	NodeOperationError,
	type IBinaryData,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import type { AttachmentInfo } from '../../../lib/mail/types';
import { chunkedStream } from '../../../lib/scan/chunked';
import type { FileVerdict, ScanEngineName, ScanInput, ScannedFile } from '../../../lib/scan/types';

/** Bytes per chunk read from n8n's binary store (and cut from an in-memory binary). */
const CHUNK_BYTES = 64 * 1024;

/** What an item gives the runner: files to scan, and files judged without scanning. */
export interface CollectedFiles {
	inputs: ScanInput[];
	/** Attachments listed on the email but without bytes (skipped by the trigger's policy). */
	unscannable: FileVerdict[];
	/** The Message-ID (or the provider id) the files belong to, for metadata and deduplication. */
	messageId: string;
}

/** Scan Attachments: the email's listed attachments, or the chosen / all binary properties. */
export async function attachmentFiles(
	context: IExecuteFunctions,
	itemIndex: number,
	engine: ScanEngineName,
): Promise<CollectedFiles> {
	const item = context.getInputData()[itemIndex]!;
	const messageId = messageIdOf(item);
	const chosen = splitNames(
		context.getNodeParameter('binaryPropertyNames', itemIndex, '') as string,
	);
	const listed = Array.isArray(item.json.attachments)
		? (item.json.attachments as unknown as AttachmentInfo[])
		: undefined;
	const inputs: ScanInput[] = [];
	const unscannable: FileVerdict[] = [];
	if (chosen.length === 0 && listed) {
		for (const attachment of listed) {
			const property = attachment.binaryProperty;
			if (!property || !item.binary?.[property]) {
				unscannable.push(notScanned(engine, attachment, attachment.skipped ?? 'no bytes'));
				continue;
			}
			inputs.push(
				await binaryInput(context, itemIndex, property, messageId, {
					id: attachment.id,
					filename: attachment.filename,
					size: attachment.size,
					...(attachment.sha256 ? { sha256: attachment.sha256 } : {}),
				}),
			);
		}
		return { inputs, unscannable, messageId };
	}
	const properties = chosen.length > 0 ? chosen : Object.keys(item.binary ?? {});
	for (const property of properties) {
		const attachment = listed?.find((entry) => entry.binaryProperty === property);
		inputs.push(
			await binaryInput(
				context,
				itemIndex,
				property,
				messageId,
				attachment
					? {
							id: attachment.id,
							filename: attachment.filename,
							size: attachment.size,
							...(attachment.sha256 ? { sha256: attachment.sha256 } : {}),
						}
					: undefined,
			),
		);
	}
	return { inputs, unscannable, messageId };
}

/** Scan File: one binary property of any item. */
export async function singleFile(
	context: IExecuteFunctions,
	itemIndex: number,
): Promise<CollectedFiles> {
	const item = context.getInputData()[itemIndex]!;
	const messageId = messageIdOf(item);
	const property = context.getNodeParameter('binaryPropertyName', itemIndex) as string;
	return {
		inputs: [await binaryInput(context, itemIndex, property, messageId)],
		unscannable: [],
		messageId,
	};
}

/**
 * One binary property as a ScanInput. Its bytes are opened per attempt: from n8n's binary
 * store as a stream (filesystem / S3 mode: the file never sits whole in the heap), or cut into
 * chunks from an in-memory binary.
 */
async function binaryInput(
	context: IExecuteFunctions,
	itemIndex: number,
	property: string,
	messageId: string,
	known?: ScannedFile,
): Promise<ScanInput> {
	let binary: IBinaryData;
	try {
		binary = context.helpers.assertBinaryData(itemIndex, property);
	} catch (error) {
		throw new NodeOperationError(
			context.getNode(),
			`The item has no binary property "${property}"`,
			{
				itemIndex,
				description: `Set the binary property to scan; the item has: ${Object.keys(context.getInputData()[itemIndex]?.binary ?? {}).join(', ') || 'none'}`,
				...(error instanceof Error ? { cause: error } : {}),
			},
		);
	}
	const file: ScannedFile = known
		? { ...known, binaryProperty: property }
		: {
				id: property,
				filename: binary.fileName ?? property,
				size: await sizeOf(context, binary),
				binaryProperty: property,
			};
	const storedId = binary.id;
	return {
		file,
		metadata: { 'message-id': messageId, 'attachment-id': file.id },
		open: async () =>
			storedId
				? await context.helpers.getBinaryStream(storedId, CHUNK_BYTES)
				: chunkedStream(Buffer.from(binary.data, BINARY_ENCODING), CHUNK_BYTES),
	};
}

/** The size in bytes: n8n's binary metadata for stored data, the decoded length otherwise. */
async function sizeOf(context: IExecuteFunctions, binary: IBinaryData): Promise<number> {
	if (binary.id) {
		const metadata = await context.helpers.getBinaryMetadata(binary.id);
		return Number(metadata.fileSize) || 0;
	}
	return Buffer.byteLength(binary.data, BINARY_ENCODING);
}

function notScanned(
	engine: ScanEngineName,
	attachment: AttachmentInfo,
	reason: string,
): FileVerdict {
	return {
		attachment: {
			id: attachment.id,
			filename: attachment.filename,
			size: attachment.size,
			...(attachment.sha256 ? { sha256: attachment.sha256 } : {}),
		},
		verdict: 'NotScanned',
		reason,
		engine,
		durationMs: 0,
	};
}

function messageIdOf(item: INodeExecutionData): string {
	const { messageId, id } = item.json;
	return typeof messageId === 'string' && messageId
		? messageId
		: typeof id === 'string' || typeof id === 'number'
			? String(id)
			: '';
}

function splitNames(value: string): string[] {
	return value
		.split(',')
		.map((name) => name.trim())
		.filter((name) => name.length > 0);
}
