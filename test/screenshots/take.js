#!/usr/bin/env node
// `npm run screenshots` (test/screenshots/take.ts says what it does).
require('../helpers/register-ts');

require('./take.ts')
	.main()
	.catch((error) => {
		console.error(`[screenshots] ${error instanceof Error ? error.stack || error.message : error}`);
		process.exit(1);
	});
