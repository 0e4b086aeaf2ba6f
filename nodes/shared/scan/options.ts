import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { findArchivePassword } from '../../../lib/scan/archive-password';
import {
	DEFAULT_SCAN_CONCURRENCY,
	DEFAULT_SCAN_TIMEOUT_MS,
	type ScanRunOptions,
} from '../../../lib/scan/run';
import { DEFAULT_MAX_SIZE_MB } from './description';
import type { ScanFeatures } from './features';

interface RawScanOptions {
	concurrency?: number;
	maxSizeMb?: number;
	skipScanned?: boolean;
	timeoutSeconds?: number;
	hashFirst?: boolean;
	archivePasswordSource?: 'none' | 'fixed' | 'emailText';
	archivePassword?: string;
}

export interface ItemScanOptions {
	run: ScanRunOptions;
	skipScanned: boolean;
	archivePassword?: string;
}

/** The options of one item, as the runner and the node take them. */
export function readScanOptions(
	context: IExecuteFunctions,
	itemIndex: number,
	features: ScanFeatures,
): ItemScanOptions {
	const raw = context.getNodeParameter('options', itemIndex, {}) as RawScanOptions;
	const concurrency = raw.concurrency ?? DEFAULT_SCAN_CONCURRENCY;
	if (!Number.isInteger(concurrency) || concurrency < 1)
		throw new NodeOperationError(context.getNode(), `Concurrency must be a whole number ≥ 1`, {
			itemIndex,
			description: 'Options → Concurrency',
		});
	const maxSizeMb = raw.maxSizeMb ?? DEFAULT_MAX_SIZE_MB;
	const run: ScanRunOptions = {
		concurrency,
		...(maxSizeMb > 0 ? { maxSizeBytes: Math.floor(maxSizeMb * 1024 * 1024) } : {}),
		timeoutMs: (raw.timeoutSeconds ?? DEFAULT_SCAN_TIMEOUT_MS / 1000) * 1000,
		...(features.hashFirst && raw.hashFirst ? { hashFirst: true } : {}),
	};
	const archivePassword = features.archivePassword
		? passwordFor(context, itemIndex, raw)
		: undefined;
	return {
		run,
		skipScanned: raw.skipScanned === true,
		...(archivePassword ? { archivePassword } : {}),
	};
}

function passwordFor(
	context: IExecuteFunctions,
	itemIndex: number,
	raw: RawScanOptions,
): string | undefined {
	if (raw.archivePasswordSource === 'fixed') return raw.archivePassword || undefined;
	if (raw.archivePasswordSource !== 'emailText') return undefined;
	const json = context.getInputData()[itemIndex]?.json ?? ({} as IDataObject);
	const text = typeof json.text === 'string' ? json.text : undefined;
	const html = typeof json.html === 'string' ? json.html : undefined;
	return findArchivePassword(text) ?? findArchivePassword(html);
}
