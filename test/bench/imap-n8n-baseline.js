#!/usr/bin/env node
// Baseline for test/bench/imap-ingest.bench.ts: n8n's own "Email Trigger (IMAP)" node (v2.2,
// n8n-nodes-base from the e2e n8n install) run for real inside that install's n8n-core
// TriggerContext, on Node 24 (what that n8n needs). It reads one mailbox with "resolved"
// output (mailparser + attachments as binary data, n8n's default binary mode) and no
// post-process action (so the mailbox is not changed). Prints one JSON line:
// {"messages": n, "seconds": s}. Usage: node imap-n8n-baseline.js <n8n-dir> <json-config>
const { loadEmailTrigger } = require('./n8n-email-trigger');

const [n8nDir, configJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
const startEmailTrigger = loadEmailTrigger(n8nDir);

async function main() {
	let received = 0;
	let started = 0;
	let finish;
	const done = new Promise((resolve, reject) => {
		finish = { resolve, reject };
	});
	const emit = (data) => {
		for (const item of data[0]) if (item.binary || item.json) received++;
		if (received >= config.expected) finish.resolve();
	};
	const emitError = (error) => finish.reject(error);
	started = performance.now();
	const response = await startEmailTrigger({
		config,
		nodeId: 'c0ffee00-0000-4000-8000-000000000001',
		parameters: {
			postProcessAction: 'nothing',
			format: 'resolved',
			dataPropertyAttachmentsPrefixName: 'attachment_',
		},
		// The node's own watermark: with lastMessageUid set it catches up on start (UID last:*).
		// UID 1 is the lowest valid value, so the run covers UIDs 2..n.
		staticData: { lastMessageUid: 1 },
		emit,
		emitError,
	});
	const timeout = setTimeout(
		() =>
			finish.reject(
				new Error(`only ${received} of ${config.expected} messages after ${config.timeoutMs} ms`),
			),
		config.timeoutMs,
	);
	await done;
	const seconds = (performance.now() - started) / 1000;
	clearTimeout(timeout);
	await response.closeFunction?.();
	process.stdout.write(`${JSON.stringify({ messages: received, seconds })}\n`);
	process.exit(0);
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error}\n`);
	process.exit(1);
});
