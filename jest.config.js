/** Unit and real-Dovecot tests. The real-n8n tests have their own config (jest.e2e.config.js). */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
	// Dovecot lab folders (maildirs of up to 100,000 files) are not part of the module map.
	modulePathIgnorePatterns: ['<rootDir>/test/.lab/'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
	globalSetup: '<rootDir>/test/imap/global-setup.js',
	globalTeardown: '<rootDir>/test/imap/global-teardown.js',
	testTimeout: 60000,
	maxWorkers: 2,
};
