import {
	VERDICT_SEVERITY,
	type FileVerdict,
	type ScanEngineName,
	type ScanReport,
	type Verdict,
} from './types';

/** The worst verdict (VERDICT_SEVERITY order); `NotScanned` when there is none. */
export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
	let worst: Verdict | undefined;
	for (const verdict of verdicts)
		if (worst === undefined || VERDICT_SEVERITY.indexOf(verdict) < VERDICT_SEVERITY.indexOf(worst))
			worst = verdict;
	return worst ?? 'NotScanned';
}

/** The `scan` an item carries: its files' verdicts and the worst of them. */
export function scanReport(
	engine: ScanEngineName,
	files: FileVerdict[],
	now: () => Date = () => new Date(),
): ScanReport {
	return {
		verdict: worstVerdict(files.map((file) => file.verdict)),
		engine,
		files,
		scannedAt: now().toISOString(),
	};
}
