import { randomUUID } from 'node:crypto';

import { MailIntelError } from '../errors';
import type { RedisClient } from '../redis/client';
import { sleep } from '../util/sleep';

/**
 * What webhook passes of one trigger share across n8n processes (queue mode with several
 * webhook processes, README "Queue mode"): a lease per scope, so two processes never run the
 * same folder's pass at once, and the newest cursor a pass stored, so a call that loaded its
 * static data before another process saved a newer cursor starts from the newer one. Within
 * one process, lib/ingest/pass-lock.ts does both in memory; this is the same across processes.
 */
export interface SharedPasses {
	/** Runs `task` while holding the scope's lease (waiting for it first). */
	withLease<T>(key: string, task: () => Promise<T>): Promise<T>;
	/** The newest cursor a pass of any process stored for the scope lately, if any. */
	cursor(key: string): Promise<{ seq: number; value: unknown } | undefined>;
	storeCursor(key: string, cursor: { seq: number; value: unknown }): Promise<void>;
}

/** A lease outlives its holder's crash by this much at most; the holder renews it meanwhile. */
const LEASE_MS = 30_000;
/** How long a call waits for another process's pass of the same scope before it gives up. */
const MAX_WAIT_MS = 10 * 60_000;
/**
 * How long a stored cursor is kept: as long as this process keeps its own newest cursor
 * (ingest.newestCursors). n8n saves each call's static data with a plain UPDATE (last writer
 * wins), so a slow call can save an older cursor after a newer one; the stored cursor, highest
 * `seq` first, keeps the next call from reading that older one and emitting a batch again.
 */
const CURSOR_TTL_MS = 30 * 24 * 3600_000;

/** Deletes or renews the lease only if it is still this holder's (the token). */
const RELEASE_SCRIPT =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
const RENEW_SCRIPT =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";

/** The shared passes in the Redis of n8n's queue mode, under the `email-intel:` prefix. */
export class RedisSharedPasses implements SharedPasses {
	constructor(
		private readonly redis: RedisClient,
		private readonly prefix = 'email-intel:pass:',
	) {}

	async withLease<T>(key: string, task: () => Promise<T>): Promise<T> {
		const lease = `${this.prefix}lease:${key}`;
		const token = randomUUID();
		const deadline = Date.now() + MAX_WAIT_MS;
		for (let wait = 25; ; wait = Math.min(wait * 2, 1_000)) {
			if ((await this.redis.command(['SET', lease, token, 'NX', 'PX', LEASE_MS])) === 'OK') break;
			if (Date.now() > deadline)
				throw new MailIntelError(
					`Another n8n process has held the pass of this folder for over ${MAX_WAIT_MS / 60_000} minutes`,
					{
						source: 'redis',
						code: 'PASS_LEASE_BUSY',
						retryable: true,
						hint: 'The next notification retries; if it persists, look for a stuck n8n webhook process',
					},
				);
			await sleep(wait);
		}
		const renewal = setInterval(() => {
			this.redis.command(['EVAL', RENEW_SCRIPT, 1, lease, token, LEASE_MS]).catch(() => undefined);
		}, LEASE_MS / 3);
		renewal.unref();
		try {
			return await task();
		} finally {
			clearInterval(renewal);
			await this.redis.command(['EVAL', RELEASE_SCRIPT, 1, lease, token]).catch(() => undefined);
		}
	}

	async cursor(key: string): Promise<{ seq: number; value: unknown } | undefined> {
		const stored = await this.redis.command(['GET', `${this.prefix}cursor:${key}`]);
		if (typeof stored !== 'string') return undefined;
		const parsed = JSON.parse(stored) as { seq?: unknown; value?: unknown };
		return typeof parsed.seq === 'number' ? { seq: parsed.seq, value: parsed.value } : undefined;
	}

	async storeCursor(key: string, cursor: { seq: number; value: unknown }): Promise<void> {
		await this.redis.command([
			'SET',
			`${this.prefix}cursor:${key}`,
			JSON.stringify(cursor),
			'PX',
			CURSOR_TTL_MS,
		]);
	}
}
