#!/usr/bin/env node
// n8n's own "Email Trigger (IMAP)" (v2.2, n8n-nodes-base from the e2e n8n install) watching one
// mailbox inside that install's n8n-core TriggerContext, for test/bench/imap-events.bench.ts.
// Prints {"ready": true} once trigger() has resolved, then one line per emitted item:
// {"subject": ..., "at": <epoch ms, high resolution>}. Runs until stdin closes.
// Usage: node imap-events-n8n.js <n8n-dir> <json-config>
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

const now = () => performance.timeOrigin + performance.now();

async function main() {
	const nodeType = new EmailReadImapV2({
		displayName: 'Email Trigger (IMAP)',
		name: 'emailReadImap',
		group: ['trigger'],
		description: '',
		defaultVersion: 2.2,
	});
	const node = {
		id: 'c0ffee00-0000-4000-8000-000000000002',
		name: 'Email Trigger (IMAP)',
		type: 'n8n-nodes-base.emailReadImap',
		typeVersion: 2.2,
		position: [0, 0],
		parameters: {},
		credentials: { imap: { id: 'imap-id', name: 'imap' } },
	};
	// Its defaults otherwise (UNSEEN, mark as read): "nothing" keeps the mailbox as it is for ours.
	node.parameters = NodeHelpers.getNodeParameters(
		nodeType.description.properties,
		{ mailbox: config.mailbox, postProcessAction: 'nothing', format: 'resolved' },
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
	const workflow = new Workflow({
		id: 'bench-events',
		name: 'bench-events',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes,
		settings: {},
		staticData: {},
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
	const emit = (data) => {
		const at = now();
		for (const item of data[0])
			process.stdout.write(`${JSON.stringify({ subject: item.json.subject, at })}\n`);
	};
	const emitError = (error) => {
		process.stderr.write(`emitError: ${error.stack || error}\n`);
		process.exit(1);
	};
	const context = new TriggerContext(
		workflow,
		node,
		additionalData,
		'trigger',
		'activate',
		emit,
		emitError,
	);
	const response = await nodeType.trigger.call(context);
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
