import { createHash } from 'node:crypto';
import fs from 'node:fs';

import { MailIntelError } from '../errors';
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
	const key = queueSettingsKey(env);
	let passes = clients.get(key);
	if (!passes) {
		// Read (files included) only here: n8n reads them once at its start too, and a webhook
		// call then costs no file read.
		const client = new RedisClient(queueRedisOptions(env));
		passes = { client, passes: new RedisSharedPasses(client) };
		clients.set(key, passes);
	}
	return passes.passes;
}

const clients = region<{ client: RedisClient; passes: SharedPasses }>({
	name: 'redis.queueClients',
	holds: "the Redis client of n8n's queue (one connection) that shares webhook passes",
	key: 'SHA-256 of the QUEUE_BULL_REDIS_* variables as set (a _FILE variable by its path)',
	maxEntries: 4,
	clearedWhen: 'never while the process runs (one per Redis n8n is configured with)',
	dispose: (entry) => entry.client.close(),
});

/**
 * The queue's Redis settings as the environment gives them, hashed: a password set directly in a
 * variable is part of them and must not sit in memory as a readable key.
 */
function queueSettingsKey(env: NodeJS.ProcessEnv): string {
	const settings = Object.keys(env)
		.filter((name) => name.startsWith('QUEUE_BULL_REDIS_'))
		.sort()
		.map((name) => `${name}=${env[name]}`)
		.join('\n');
	return createHash('sha256').update(settings).digest('hex');
}

/** n8n's own Redis settings for its queue, with n8n's defaults. */
export function queueRedisOptions(env: NodeJS.ProcessEnv): RedisOptions {
	const read = (name: string): string | undefined => {
		const file = env[`${name}_FILE`];
		if (file) return readSettingFile(`${name}_FILE`, file);
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

/** A `_FILE` variable's file, or an error that names the variable (never the file's contents). */
function readSettingFile(variable: string, file: string): string {
	try {
		return fs.readFileSync(file, 'utf8').trim();
	} catch (cause) {
		throw new MailIntelError(
			`${variable} names ${file}, which this n8n process cannot read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
			{
				source: 'redis',
				code: 'REDIS_SETTINGS',
				field: variable,
				hint: `Point ${variable} at the file n8n itself reads for its queue (mounted in every n8n process), or unset it`,
				cause,
			},
		);
	}
}
