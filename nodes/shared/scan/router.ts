import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { scanFiles } from '../../../lib/scan/run';
import type { FileVerdict, ScanEngine, Verdict } from '../../../lib/scan/types';
import { scanReport } from '../../../lib/scan/verdicts';
import { toNodeError } from '../errors';
import { ScannedBefore } from './dedupe';
import type { ScanFeatures } from './features';
import { attachmentFiles, singleFile, type CollectedFiles } from './inputs';
import { readScanOptions } from './options';

export type ScanOperation = 'scanAttachments' | 'scanFile';

/** Output index per overall verdict: Malicious, Clean, and everything else (Not Scanned). */
export function outputFor(verdict: Verdict): 0 | 1 | 2 {
	if (verdict === 'Malicious') return 0;
	if (verdict === 'Benign') return 1;
	return 2;
}

/**
 * The item loop of both scan nodes (DSX, ClamAV): one engine per execution, each item's files
 * through the runner, the ScanReport added as `scan`, the item routed by its worst verdict to
 * Malicious / Clean / Not Scanned with its binaries kept. Continue-on-fail sends a failed item
 * to Not Scanned with `error`: no item falls through silently.
 */
export async function scanRouter(
	this: IExecuteFunctions,
	engineFor: (context: IExecuteFunctions) => Promise<ScanEngine>,
	features: ScanFeatures,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operation = this.getNodeParameter('operation', 0) as ScanOperation;
	const outputs: INodeExecutionData[][] = [[], [], []];
	const scannedBefore = new ScannedBefore(this);
	let engine: ScanEngine | undefined;
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const item = items[itemIndex]!;
			try {
				engine ??= await engineFor(this);
				const options = readScanOptions(this, itemIndex, features);
				const collected: CollectedFiles =
					operation === 'scanFile'
						? await singleFile(this, itemIndex)
						: await attachmentFiles(this, itemIndex, engine.name);
				if (options.archivePassword)
					for (const input of collected.inputs) input.archivePassword = options.archivePassword;
				const { scan, duplicates } = options.skipScanned
					? await scannedBefore.partition(collected.inputs, collected.messageId, engine.name)
					: { scan: collected.inputs, duplicates: [] as FileVerdict[] };
				const scanned = await scanFiles(engine, scan, {
					...options.run,
					signal: this.getExecutionCancelSignal?.(),
				});
				if (options.skipScanned)
					await scannedBefore.forgetInconclusive(scanned, collected.messageId);
				const report = scanReport(engine.name, [
					...scanned,
					...duplicates,
					...collected.unscannable,
				]);
				outputs[outputFor(report.verdict)]!.push({
					json: { ...item.json, scan: report as unknown as IDataObject },
					...(item.binary ? { binary: item.binary } : {}),
					pairedItem: { item: itemIndex },
				});
			} catch (caught) {
				const error = toNodeError(this.getNode(), caught, itemIndex);
				if (!this.continueOnFail()) throw error;
				outputs[2]!.push({
					json: {
						...item.json,
						error: error.message,
						...(error.description ? { description: error.description } : {}),
					},
					...(item.binary ? { binary: item.binary } : {}),
					pairedItem: { item: itemIndex },
				});
			}
		}
	} finally {
		await engine?.close?.();
	}
	return outputs;
}
