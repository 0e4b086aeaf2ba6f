import fs from 'node:fs';

import { RedisClient, type RedisOptions } from '../redis/client';
import { region } from '../state/registry';
import { RedisSharedPasses, type SharedPasses } from './shared-passes';

/**
 * In n8n's queue mode several processes may serve one webhook trigger's path (the main and any
 * number of webhook processors), and each would run its own pass of a folder from the cursor it
 * loaded: a Graph burst or a Gmail push split between two processes came out twice. The passes
 * are therefore shared through the Redis n8n's queue already requires, read from the same
 * variables n8n reads (`QUEUE_BULL_REDIS_*`, `_FILE` variants included; @n8n/config's
 * scaling-mode config): nothing to configure. Outside queue mode there is one process, and the
 * in-memory pass lock is exact (pass-lock.ts). Webhook triggers call this for their sessions;
 * lib reads the variables itself, as it reads the proxy variables (lib/http).
 */
export function queueModeSharedPasses(
	env: NodeJS.ProcessEnv = process.env,
): SharedPasses | undefined {
	if (env.EXECUTIONS_MODE !== 'queue') return undefined;
	const options = queueRedisOptions(env);
	const key = `${options.host}:${options.port}/${options.db ?? 0}/${options.username ?? ''}`;
	let passes = clients.get(key);
	if (!passes) {
		const client = new RedisClient(options);
		passes = { client, passes: new RedisSharedPasses(client) };
		clients.set(key, passes);
	}
	return passes.passes;
}

const clients = region<{ client: RedisClient; passes: SharedPasses }>({
	name: 'redis.queueClients',
	holds: "the Redis client of n8n's queue (one connection) that shares webhook passes",
	key: 'host:port/db/user',
	maxEntries: 4,
	clearedWhen: 'never while the process runs (one per Redis n8n is configured with)',
	dispose: (entry) => entry.client.close(),
});

/** n8n's own Redis settings for its queue, with n8n's defaults. */
export function queueRedisOptions(env: NodeJS.ProcessEnv): RedisOptions {
	const read = (name: string): string | undefined => {
		const file = env[`${name}_FILE`];
		if (file) return fs.readFileSync(file, 'utf8').trim();
		const value = env[name];
		return value === undefined || value === '' ? undefined : value;
	};
	// A cluster answers MOVED for keys held elsewhere; the client follows it from any node.
	const firstClusterNode = read('QUEUE_BULL_REDIS_CLUSTER_NODES')?.split(',')[0]?.trim();
	const [clusterHost, clusterPort] = firstClusterNode ? firstClusterNode.split(':') : [];
	const tls = read('QUEUE_BULL_REDIS_TLS') === 'true';
	return {
		host: clusterHost || read('QUEUE_BULL_REDIS_HOST') || 'localhost',
		port: Number(clusterPort || read('QUEUE_BULL_REDIS_PORT') || 6379),
		db: Number(read('QUEUE_BULL_REDIS_DB') ?? 0),
		username: read('QUEUE_BULL_REDIS_USERNAME'),
		password: read('QUEUE_BULL_REDIS_PASSWORD'),
		timeoutMs: Number(read('QUEUE_BULL_REDIS_TIMEOUT_THRESHOLD') ?? 10_000),
		...(tls
			? {
					tls: {
						servername: read('QUEUE_BULL_REDIS_TLS_SERVERNAME'),
						rejectUnauthorized: read('QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE') !== 'false',
					},
				}
			: {}),
	};
}
