import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { queueModeSharedPasses } from '../../../lib/ingest/queue-mode';

describe("queueModeSharedPasses: n8n's queue Redis, read once", () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-mode-'));
	afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

	it('is off outside queue mode', () => {
		expect(queueModeSharedPasses({ QUEUE_BULL_REDIS_HOST: '127.0.0.1' })).toBeUndefined();
	});

	it('reads a _FILE secret when it first connects, not on every webhook call (as n8n reads it once at start)', () => {
		const secret = path.join(dir, 'redis-password');
		fs.writeFileSync(secret, 'queue-secret\n');
		const env = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: '1',
			QUEUE_BULL_REDIS_PASSWORD_FILE: secret,
		};
		const first = queueModeSharedPasses(env);
		expect(first).toBeDefined();
		fs.rmSync(secret);
		// A later call finds the same shared passes without the file.
		expect(queueModeSharedPasses({ ...env })).toBe(first);
		// Other settings: another connection, and its own file read (which now fails).
		expect(() => queueModeSharedPasses({ ...env, QUEUE_BULL_REDIS_DB: '2' })).toThrow(
			/QUEUE_BULL_REDIS_PASSWORD_FILE names .*redis-password, which this n8n process cannot read \(ENOENT\)/,
		);
		expect(queueModeSharedPasses({ ...env, QUEUE_BULL_REDIS_PASSWORD_FILE: '' })).not.toBe(first);
	});
});
