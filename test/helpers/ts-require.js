// Lets a plain Node process or worker thread load the repo's TypeScript sources, the way
// ts-jest does for the tests themselves: `node -r ./test/helpers/ts-require.js`, or a Worker
// whose script is test/helpers/ts-worker.js. Transpile only (the types are checked by tsc).
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
	const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
		fileName: filename,
		compilerOptions: {
			module: ts.ModuleKind.CommonJS,
			target: ts.ScriptTarget.ES2022,
			esModuleInterop: true,
		},
	});
	module._compile(outputText, filename);
};
