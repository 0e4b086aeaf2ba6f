#!/usr/bin/env node
// `npm run dev` (test/demo/dev.ts says what it starts). Plain JS so npm can start it without a
// build: the TypeScript sources are transpiled in memory.
require('../helpers/register-ts');

require('./dev.ts')
	.main()
	.catch((error) => {
		console.error(`[dev] ${error instanceof Error ? error.stack || error.message : error}`);
		process.exit(1);
	});
