/**
 * What the two rewrite benchmarks (IMAP and Gmail, `p9_*`) measure alike: one remediation that
 * removes a large Malicious attachment under the default policy (no audit copy), with the
 * memory it takes sampled every 10 ms: heapUsed + arrayBuffers (Buffers live outside the V8
 * heap, and a held message would show there), over the level before the run.
 */
import { parseLocator } from '../../lib/mail/locator';
import { DEFAULT_POLICY } from '../../lib/remediation/policy';
import type { RemediationResult } from '../../lib/remediation/result';
import type { Remediator } from '../../lib/remediation/types';
import type { ScanReport } from '../../lib/scan/types';

/** `--expose-gc` (test/bench/run.js runs every benchmark with it); a no-op without. */
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

export interface RewriteMeasure {
	result: RemediationResult;
	seconds: number;
	/** peak growth of heapUsed + arrayBuffers, bytes */
	growth: number;
	/** peak growth of heapUsed alone, bytes */
	heapUsedGrowth: number;
}

/** A ClamAV report that marks attachment 2 (`payload.bin`) Malicious. */
function maliciousPayload(size: number): ScanReport {
	return {
		verdict: 'Malicious',
		engine: 'clamav',
		scannedAt: new Date().toISOString(),
		files: [
			{
				attachment: { id: '2', filename: 'payload.bin', size },
				verdict: 'Malicious',
				engine: 'clamav',
				durationMs: 1,
			},
		],
	};
}

export async function measureRewrite(
	remediator: Remediator,
	locator: string,
	attachmentBytes: number,
): Promise<RewriteMeasure> {
	const scan = maliciousPayload(attachmentBytes);
	gc();
	const level = (usage: NodeJS.MemoryUsage) => usage.heapUsed + usage.arrayBuffers;
	const before = process.memoryUsage();
	let peak = level(before);
	let peakHeapUsed = before.heapUsed;
	const sample = () => {
		const now = process.memoryUsage();
		peak = Math.max(peak, level(now));
		peakHeapUsed = Math.max(peakHeapUsed, now.heapUsed);
	};
	const sampler = setInterval(sample, 10);
	const started = process.hrtime.bigint();
	try {
		const result = await remediator.remediate(
			{ ref: parseLocator(locator), locator, scan },
			{ ...DEFAULT_POLICY, auditFolder: '' },
		);
		const seconds = Number(process.hrtime.bigint() - started) / 1e9;
		sample();
		if (result.removedAttachments.length !== 1)
			throw new Error(`expected one attachment removed: ${JSON.stringify(result)}`);
		return {
			result,
			seconds,
			growth: peak - level(before),
			heapUsedGrowth: peakHeapUsed - before.heapUsed,
		};
	} finally {
		clearInterval(sampler);
	}
}
