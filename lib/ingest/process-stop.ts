/**
 * Whether the process the pack runs in has been asked to stop (SIGTERM or SIGINT).
 *
 * Why a trigger needs to know: n8n writes a poll's static data (our cursor) when the poll hands a
 * batch on, and creates that batch's execution a few database round trips later. Once n8n has
 * begun to stop it creates no execution any more (and drops executions not yet started), so a
 * batch handed on after the signal would be lost with its cursor already saved. A poll that sees
 * this flag hands nothing more on; the next start of n8n goes on from the last batch that was.
 *
 * One flag for the whole process, not per workflow, so it is not a registry region
 * (lib/state/registry.ts holds per-node state): it is set once and never cleared, as the process
 * it describes does not come back.
 */
let stopping = false;
const watched = new Set<string>();

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Starts watching for the stop signals (each once per process; cheap to call on every poll). Only where the host already handles
 * them (n8n registers its own listeners when it starts): a listener of ours must never turn a
 * signal that would end the process into one that does not.
 */
export function watchProcessStop(): void {
	for (const signal of SIGNALS) {
		if (watched.has(signal) || process.listenerCount(signal) === 0) continue;
		watched.add(signal);
		process.once(signal, () => {
			stopping = true;
		});
	}
}

/** True once the process got SIGTERM or SIGINT (while watched). */
export function processStopping(): boolean {
	return stopping;
}
