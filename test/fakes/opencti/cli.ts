/**
 * `node .bench/build/test/fakes/opencti/cli.js [--port 8088] [--version 6.9.7] [--token T]`
 * (compile first: `npm run bench -- opencti` builds to .bench/build). Runs the fake for a demo
 * or a manual n8n session and prints the reports it holds on Ctrl+C.
 */
import { start } from './server';

function flag(name: string, fallback: string): string {
	const index = process.argv.indexOf(`--${name}`);
	return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}

void (async () => {
	const fake = await start({
		port: Number(flag('port', '8088')),
		version: flag('version', '6.9.7'),
		token: flag('token', 'fake-opencti-token'),
		host: flag('host', '127.0.0.1'),
	});
	console.error(
		`fake OpenCTI ${fake.version} on ${fake.url}/graphql, token "${fake.token}" (plain HTTP: turn on ` +
			'"Allow Unencrypted HTTP" in the n8n credential; Ctrl+C to stop)',
	);
	process.on('SIGINT', () => {
		for (const report of fake.store.reports.values()) {
			console.log(
				JSON.stringify({ ...report, files: report.files.map(({ data: _data, ...file }) => file) }),
			);
		}
		void fake.stop().then(() => process.exit(0));
	});
})();
