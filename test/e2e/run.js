#!/usr/bin/env node
// `npm run test:e2e [-- jest args]`: the real-n8n tests with their own Jest config
// (jest.e2e.config.js), one file at a time. Extra arguments go to Jest, e.g. a test path.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const jest = require.resolve('jest/bin/jest', { paths: [root] });
const result = spawnSync(
	process.execPath,
	[
		jest,
		'--config',
		path.join(root, 'jest.e2e.config.js'),
		'--runInBand',
		...process.argv.slice(2),
	],
	{
		cwd: root,
		stdio: 'inherit',
	},
);
process.exit(result.status ?? 1);
