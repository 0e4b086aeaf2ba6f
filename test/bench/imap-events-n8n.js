#!/usr/bin/env node
// n8n's own "Email Trigger (IMAP)" (v2.2, n8n-nodes-base from the e2e n8n install) watching one
// mailbox inside that install's n8n-core TriggerContext, for test/bench/imap-events.bench.ts.
// Prints {"ready": true} once trigger() has resolved, then one line per emitted item:
// {"subject": ..., "at": <epoch ms, high resolution>}. Runs until stdin closes.
// Usage: node imap-events-n8n.js <n8n-dir> <json-config>
const { loadEmailTrigger } = require('./n8n-email-trigger');

const [n8nDir, configJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
const startEmailTrigger = loadEmailTrigger(n8nDir);

const now = () => performance.timeOrigin + performance.now();

async function main() {
	const emit = (data) => {
		const at = now();
		for (const item of data[0])
			process.stdout.write(`${JSON.stringify({ subject: item.json.subject, at })}\n`);
	};
	const emitError = (error) => {
		process.stderr.write(`emitError: ${error.stack || error}\n`);
		process.exit(1);
	};
	const response = await startEmailTrigger({
		config,
		nodeId: 'c0ffee00-0000-4000-8000-000000000002',
		// Its defaults otherwise (UNSEEN, mark as read): "nothing" keeps the mailbox as it is for ours.
		parameters: { postProcessAction: 'nothing', format: 'resolved' },
		emit,
		emitError,
	});
	process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
	process.stdin.resume();
	process.stdin.on('end', async () => {
		await response.closeFunction?.();
		process.exit(0);
	});
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error}\n`);
	process.exit(1);
});
