// n8n's own "Email Trigger (IMAP)" (v2.2, n8n-nodes-base from the e2e n8n install) started inside
// that install's n8n-core TriggerContext, as n8n's ActiveWorkflows would start it: shared by the
// benchmarks that compare our trigger with n8n's (imap-n8n-baseline.js, imap-events-n8n.js).
const path = require('node:path');

/**
 * Loads n8n's modules from the install (outside any timing), then returns `start`: it starts the
 * trigger on one mailbox; `emit`/`emitError` receive what n8n's would. `parameters` are set on
 * top of n8n's defaults; `staticData` is the node's own (its watermark). `start` resolves with
 * the trigger's response (closeFunction).
 */
function loadEmailTrigger(n8nDir) {
	const modules = path.join(n8nDir, 'node_modules');
	const load = (name) => require(require.resolve(name, { paths: [modules] }));
	const { Workflow, NodeHelpers } = load('n8n-workflow');
	const { TriggerContext } = load('n8n-core');
	const { EmailReadImapV2 } = load(
		'n8n-nodes-base/dist/nodes/EmailReadImap/v2/EmailReadImapV2.node.js',
	);
	return async ({ config, nodeId, parameters, staticData, emit, emitError }) => {
		const nodeType = new EmailReadImapV2({
			displayName: 'Email Trigger (IMAP)',
			name: 'emailReadImap',
			group: ['trigger'],
			description: '',
			defaultVersion: 2.2,
		});
		const node = {
			id: nodeId,
			name: 'Email Trigger (IMAP)',
			type: 'n8n-nodes-base.emailReadImap',
			typeVersion: 2.2,
			position: [0, 0],
			parameters: {},
			credentials: { imap: { id: 'imap-id', name: 'imap' } },
		};
		node.parameters = NodeHelpers.getNodeParameters(
			nodeType.description.properties,
			{ mailbox: config.mailbox, ...parameters },
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
			id: `bench-${nodeId}`,
			name: 'bench',
			nodes: [node],
			connections: {},
			active: true,
			nodeTypes,
			settings: {},
			staticData: staticData ? { [`node:${node.name}`]: staticData } : {},
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
		const context = new TriggerContext(
			workflow,
			node,
			additionalData,
			'trigger',
			'activate',
			emit,
			emitError,
		);
		return await nodeType.trigger.call(context);
	};
}

module.exports = { loadEmailTrigger };
