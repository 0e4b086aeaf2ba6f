import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

import type { IWebhookFunctions } from 'n8n-workflow';

import { Microsoft365MailTrigger } from '../../../nodes/Microsoft365MailTrigger/Microsoft365MailTrigger.node';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';

// Own file, one thread for all p4 runs: n8n-core loads a native addon (ssh2) that crashes when
// a second thread of the same process loads it.
const UPN = 'bench@contoso.com';

interface Command {
	command: 'start' | 'activate' | 'settle' | 'close';
	stub?: boolean;
	credentials?: Record<string, Record<string, string>>;
}

/** The baseline: the same n8n-core WebhookContext and listener, a webhook() that only answers. */
async function answerOnly(this: IWebhookFunctions) {
	const token = (this.getQueryData() as { validationToken?: string }).validationToken;
	const res = this.getResponseObject();
	if (token) res.writeHead(200, { 'Content-Type': 'text/plain' }).end(token);
	else res.writeHead(202).end();
	return { noWebhookResponse: true };
}

/**
 * The n8n side of p4, on its own thread: the trigger in n8n-core's WebhookContext behind an
 * HTTP listener. The Graph fake and the notification sender stay on the main thread, as
 * Microsoft's servers are not in n8n's process.
 */
function n8nThread(): void {
	const port = parentPort!;
	let harness: Harness | undefined;
	const emitted: string[] = [];
	let executions = 0;
	const loop = monitorEventLoopDelay({ resolution: 1 });
	loop.enable();
	port.on('message', ({ command, stub, credentials }: Command) => {
		void (async () => {
			if (command === 'start') {
				const trigger = new Microsoft365MailTrigger();
				if (stub) trigger.webhook = answerOnly;
				harness = await startHarness(trigger, {
					parameters: { mailboxes: UPN, options: { maxItemsPerRun: 10_000 } },
					credentials: credentials!,
				});
			}
			if (command === 'activate') await harness!.activate();
			if (command === 'settle')
				process.stderr.write(
					`n8n thread: longest event-loop stall since the last step: ${(loop.max / 1e6).toFixed(1)} ms\n`,
				);
			loop.reset();
			if (command === 'settle') await harness!.settle();
			if (command === 'close') await harness!.close();
			// n8n hands items on and lets them go: keep only their ids, so the items of earlier
			// bursts do not sit in this thread's heap and slow its garbage collections.
			emitted.push(...harness!.emittedIds());
			executions += harness!.executions.length;
			harness!.executions.length = 0;
			port.postMessage({
				command,
				webhookUrl: harness!.webhookUrl,
				emitted,
				executions,
				server: harness!.responseTimes,
				errors: harness!.errors.map(String),
			});
		})();
	});
}

n8nThread();
