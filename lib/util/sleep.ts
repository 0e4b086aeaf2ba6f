/** Abortable delay. Lives in lib/ so the core needs no n8n helper; nodes may pass their own. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal?.reason ?? new Error('aborted'));
		};
		signal?.addEventListener('abort', onAbort, { once: true });
	});
}
