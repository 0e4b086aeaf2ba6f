export function ensureQueueServersInstalled(): { postgresBinDir: string; redisServer: string };
export function postgresBinDir(): string | undefined;
export const REDIS: string;
