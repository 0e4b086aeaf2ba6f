// Lint: typescript-eslint everywhere; n8n's own rule sets on the parts n8n loads (nodes/,
// credentials/, package.json). One rule is off on purpose: @n8n/community-nodes/
// no-runtime-dependencies. Our IMAP, MIME, MSAL and Graph clients (imapflow, mailparser,
// @azure/msal-node, @microsoft/microsoft-graph-client, graphql-request, luxon) are runtime
// dependencies by the user's choice: the pack targets self-hosted n8n (see README).
import tseslint from 'typescript-eslint';
import jsoncParser from 'jsonc-eslint-parser';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';

const community = n8nCommunityNodesPlugin.configs.recommended;
const n8nParts = ['nodes/**/*.ts', 'credentials/**/*.ts', 'index.ts'];

export default tseslint.config(
	{
		ignores: [
			'dist/**',
			'node_modules/**',
			'test/e2e/node_modules/**',
			'test/e2e/.cache/**',
			'coverage/**',
			'.bench/**',
			'test/.lab/**',
		],
	},
	{
		files: ['**/*.ts'],
		extends: [tseslint.configs.recommended],
		rules: {
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
			],
		},
	},
	{
		files: ['**/*.js', '**/*.cjs'],
		languageOptions: {
			sourceType: 'commonjs',
			globals: {
				require: 'readonly',
				module: 'writable',
				process: 'readonly',
				__dirname: 'readonly',
				console: 'readonly',
				Buffer: 'readonly',
				setTimeout: 'readonly',
				clearTimeout: 'readonly',
			},
		},
		rules: { '@typescript-eslint/no-require-imports': 'off' },
		extends: [tseslint.configs.recommended],
	},
	{
		files: [...n8nParts, 'package.json'],
		...community,
		rules: {
			...community.rules,
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		files: ['package.json'],
		languageOptions: { parser: jsoncParser },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: { ...n8nNodesBase.configs.community.rules },
	},
	{
		files: ['credentials/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.credentials.rules,
		},
	},
	{
		files: ['nodes/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// These three older rules demand the string 'main', which n8n's current rule
			// (@n8n/community-nodes/node-connection-type-literal) forbids in favour of
			// NodeConnectionTypes.Main. Both cannot hold; we follow the current one.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-inputs-wrong-trigger-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	// The layering (README "Layout"): lib/ is the framework-free core and knows nothing of n8n
	// or the nodes; the mail model never depends on a provider; a node never reaches into another
	// node's folder (what two nodes share lives in nodes/shared/). ESLint applies the last
	// matching block's option whole, so lib/mail repeats lib/'s restrictions (libRestrictions).
	{ files: ['lib/**/*.ts'], rules: { 'no-restricted-imports': ['error', libRestrictions()] } },
	{
		files: ['lib/mail/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				libRestrictions({
					group: ['**/providers', '**/providers/**', '**/ingest/**'],
					message:
						'lib/mail is the mail model: providers and the ingest core use it, not the reverse.',
				}),
			],
		},
	},
	...[
		'EmailIntelImapTrigger',
		'EmailIntelParse',
		'Microsoft365MailTrigger',
		'Microsoft365MailPollTrigger',
		'OpenCti',
		'MailRemediation',
	].map((node) => ({
		files: [`nodes/${node}/**/*.ts`],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: [
								'**/EmailIntelImapTrigger/**',
								'**/EmailIntelParse/**',
								'**/Microsoft365MailTrigger/**',
								'**/Microsoft365MailPollTrigger/**',
								'**/OpenCti/**',
								'**/MailRemediation/**',
							].filter((pattern) => !pattern.includes(`/${node}/`)),
							message: "A node never imports another node's folder: share through nodes/shared/.",
						},
					],
				},
			],
		},
	})),
);

/** What lib/ may not import, plus `extra` patterns for a stricter part of it. */
function libRestrictions(...extra) {
	return {
		paths: [{ name: 'n8n-workflow', message: 'lib/ is framework-free: map to n8n in nodes/.' }],
		patterns: [
			{ group: ['n8n-core', 'n8n-workflow/*'], message: 'lib/ is framework-free.' },
			{ group: ['**/nodes/**', '**/credentials/**'], message: 'lib/ never imports nodes/.' },
			...extra,
		],
	};
}
