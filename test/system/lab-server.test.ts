// The watchdog of test/system/lab-server.ts, as `npm run dev` uses it: after Ctrl-C the demo's last
// handles are its servers, and their stop() must run to its end (the lab folders removed) even
// though the watched child itself never keeps Node alive.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

test('kill() keeps Node alive until the watched group is gone, so the code after it runs', async () => {
	// A process whose only work is one watched server: nothing else holds its event loop.
	const script = `
		const { startWatched } = require(${JSON.stringify(require.resolve('./lab-server'))});
		const server = startWatched('sleeper', ['/bin/sleep', '60']);
		console.log('started ' + server.child.pid);
		void (async () => {
			await server.kill();
			console.log('stopped, exited: ' + server.exited());
		})();
	`;
	const { stdout } = await execFileAsync(
		process.execPath,
		['-r', require.resolve('../helpers/register-ts'), '-e', script],
		{ timeout: 20_000 },
	).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
	const [started, stopped] = stdout.trim().split('\n');
	expect(started).toMatch(/^started \d+$/);
	expect(stopped).toBe('stopped, exited: true');
	// and the group is gone: the sleeper died with its watchdog (a zombie not reaped yet by this
	// machine's init still has a pid, so count only live members)
	const pgid = started.split(' ')[1];
	const { stdout: table } = await execFileAsync('ps', ['-eo', 'pgid=,stat=,args=']);
	const live = table
		.split('\n')
		.map((line) => line.trim().split(/\s+/))
		.filter(([group, stat]) => group === pgid && !stat.startsWith('Z'));
	expect(live).toEqual([]);
});
