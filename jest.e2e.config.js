/**
 * Real-n8n tests (test/e2e/): n8n 2.41.1 on Node 24 (and, in lts.e2e.test.ts, 1.123.81 on Node 20) from the e2e cache, the pack installed as a
 * community package. One test file at a time (each n8n takes ~450 MB and both cores while
 * starting). The global setup installs n8n if missing and builds + packs the pack once per run.
 * Run with `npm run test:e2e` (test/e2e/run.js).
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
	testPathIgnorePatterns: ['/node_modules/'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	globalSetup: '<rootDir>/test/e2e/global-setup.js',
	globalTeardown: '<rootDir>/test/e2e/global-teardown.js',
	maxWorkers: 1,
	testTimeout: 300000,
	verbose: true,
};
