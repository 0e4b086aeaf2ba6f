// Lets plain Node processes and worker threads (test/demo/dev.js, the e2e global setup, the child
// processes and parse thread of some unit tests) require the repo's TypeScript sources
// directly: each .ts file is transpiled in memory with the project's own TypeScript (a
// devDependency), CommonJS like the build. Type checking is `npm run typecheck`'s job.
const fs = require('node:fs');
const ts = require('typescript');

if (!require.extensions['.ts']) {
	require.extensions['.ts'] = (module, filename) => {
		const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
			fileName: filename,
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
				inlineSourceMap: true,
			},
		});
		module._compile(outputText, filename);
	};
}
