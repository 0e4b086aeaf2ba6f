import type { IExecuteFunctions } from 'n8n-workflow';

import { sha256Of } from '../../../lib/scan/hash';
import type { FileVerdict, ScanEngineName, ScanInput, Verdict } from '../../../lib/scan/types';

/** Remembered per node, at most this many (message, file) pairs; n8n drops the oldest. */
const MAX_REMEMBERED = 100_000;
const OPTIONS = { mode: 'entries' as const, maxEntries: MAX_REMEMBERED };
/** Verdicts worth remembering: a file that failed or was not judged is scanned again next time. */
const CONCLUSIVE: ReadonlySet<Verdict> = new Set(['Benign', 'Malicious', 'Unknown', 'Unsupported']);

type DedupeHelpers = Partial<
	Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed'>
>;

/**
 * "Skip files already scanned in earlier executions" over n8n's deduplication helper (n8n
 * 1.60+, execute contexts only). Feature-detected: on an n8n without it, nothing is skipped.
 * A file is recorded when checked (the helper has no check-only call) and un-recorded when its
 * verdict is not conclusive, so an error is retried by the next execution.
 */
export class ScannedBefore {
	private readonly helpers: DedupeHelpers;

	constructor(context: IExecuteFunctions) {
		this.helpers = context.helpers as DedupeHelpers;
	}

	get available(): boolean {
		return typeof this.helpers.checkProcessedAndRecord === 'function';
	}

	/** Splits the files into those to scan and those scanned before (as NotScanned "duplicate"). */
	async partition(
		inputs: ScanInput[],
		messageId: string,
		engine: ScanEngineName,
	): Promise<{ scan: ScanInput[]; duplicates: FileVerdict[] }> {
		if (!this.available || inputs.length === 0) return { scan: inputs, duplicates: [] };
		const keys = new Map<ScanInput, string>();
		for (const input of inputs) {
			input.file.sha256 ??= await sha256Of(input);
			keys.set(input, key(messageId, input.file.sha256));
		}
		const checked = await this.helpers.checkProcessedAndRecord!(
			[...keys.values()],
			'node',
			OPTIONS,
		);
		const processed = new Set(checked.processed.map(String));
		const scan: ScanInput[] = [];
		const duplicates: FileVerdict[] = [];
		for (const input of inputs) {
			if (processed.has(keys.get(input)!))
				duplicates.push({
					attachment: input.file,
					verdict: 'NotScanned',
					reason: 'duplicate',
					engine,
					durationMs: 0,
				});
			else scan.push(input);
		}
		return { scan, duplicates };
	}

	/** Forgets the files whose verdict says nothing yet, so the next execution scans them again. */
	async forgetInconclusive(files: FileVerdict[], messageId: string): Promise<void> {
		if (!this.available || typeof this.helpers.removeProcessed !== 'function') return;
		const forget = files
			.filter((file) => !CONCLUSIVE.has(file.verdict) && file.attachment.sha256)
			.map((file) => key(messageId, file.attachment.sha256!));
		if (forget.length > 0) await this.helpers.removeProcessed(forget, 'node', OPTIONS);
	}
}

function key(messageId: string, sha256: string): string {
	return `${messageId}\n${sha256}`;
}
