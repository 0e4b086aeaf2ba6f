#!/usr/bin/env node
// Baseline for test/bench/imap-ingest.bench.ts: n8n's own "Email Trigger (IMAP)" node (v2.2,
// n8n-nodes-base from the e2e n8n install) run for real inside that install's n8n-core
// TriggerContext, on Node 24 (what that n8n needs). It reads one mailbox with "resolved"
// output (mailparser + attachments as binary data, n8n's default binary mode) and no
// post-process action (so the mailbox is not changed). Prints one JSON line:
// {"messages": n, "seconds": s}. Usage: node imap-n8n-baseline.js <n8n-dir> <json-config>
const path = require('node:path');

const [n8nDir, configJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
const modules = path.join(n8nDir, 'node_modules');
const load = (name) => require(require.resolve(name, { paths: [modules] }));

const { Workflow, NodeHelpers } = load('n8n-workflow');
const { TriggerContext } = load('n8n-core');
const { EmailReadImapV2 } = load(
	'n8n-nodes-base/dist/nodes/EmailReadImap/v2/EmailReadImapV2.node.js',
);

async function main() {
	const nodeType = new EmailReadImapV2({
		displayName: 'Email Trigger (IMAP)',
		name: 'emailReadImap',
		group: ['trigger'],
		description: '',
		defaultVersion: 2.2,
	});
	const node = {
		id: 'c0ffee00-0000-4000-8000-000000000001',
		name: 'Email Trigger (IMAP)',
		type: 'n8n-nodes-base.emailReadImap',
		typeVersion: 2.2,
		position: [0, 0],
		parameters: {},
		credentials: { imap: { id: 'imap-id', name: 'imap' } },
	};
	node.parameters = NodeHelpers.getNodeParameters(
		nodeType.description.properties,
		{
			mailbox: config.mailbox,
			postProcessAction: 'nothing',
			format: 'resolved',
			dataPropertyAttachmentsPrefixName: 'attachment_',
		},
		true,
		false,
		node,
		nodeType.description,
	);
	const nodeTypes = {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	};
	// The node's own watermark: with lastMessageUid set it catches up on start (UID last:*).
	// UID 1 is the lowest valid value, so the run covers UIDs 2..n.
	const staticData = { [`node:${node.name}`]: { lastMessageUid: 1 } };
	const workflow = new Workflow({
		id: 'bench',
		name: 'bench',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes,
		settings: {},
		staticData,
	});
	const additionalData = {
		credentialsHelper: {
			getDecrypted: async () => ({
				host: config.host,
				port: config.port,
				secure: false,
				user: config.user,
				password: config.password,
				allowUnauthorizedCerts: true,
			}),
			getParentTypes: () => [],
			getCredentialsProperties: () => [],
			isCredentialUsableByNode: () => true,
		},
		variables: {},
	};

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
	const context = new TriggerContext(
		workflow,
		node,
		additionalData,
		'trigger',
		'activate',
		emit,
		emitError,
	);
	started = performance.now();
	const response = await nodeType.trigger.call(context);
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
