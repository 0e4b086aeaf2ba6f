import fs from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'n8n-nodes-email-intel';

/**
 * `n8n-nodes-email-intel/<version>`, the version read from the pack's own package.json. It is
 * looked up from this file upwards (lib/http in the sources, dist/lib/http when built) rather
 * than imported, so the compiler does not copy package.json into dist.
 */
function packageVersion(): string {
	for (let dir = __dirname; ; dir = path.dirname(dir)) {
		try {
			const json = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
				name?: string;
				version?: string;
			};
			if (json.name === PACKAGE_NAME && json.version) return json.version;
		} catch {
			// no package.json here: keep going up
		}
		if (path.dirname(dir) === dir) return '0.0.0';
	}
}

export const USER_AGENT = `${PACKAGE_NAME}/${packageVersion()}`;
