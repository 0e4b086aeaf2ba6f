import { performance } from 'node:perf_hooks';

/**
 * Monotonic milliseconds. `performance` is imported rather than read as a global: on Node 20 the
 * global is a lazily defined accessor whose getter runs at every read (~300 instructions, and a
 * global lookup, on the path of every HTTP attempt and every scanned file; docs/performance.md,
 * round 19).
 */
export function monotonicNow(): number {
	return performance.now();
}
