import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Thrown outside CI when Redis is unreachable: suites catch it and skip with a warning. */
export class RedisUnavailable extends Error {}

/**
 * A connection to the test Redis. Policy: in CI (`process.env.CI` set) an unreachable Redis fails the
 * run loudly; on a developer machine the Redis suites are skipped with a printed warning.
 */
export async function testRedis(): Promise<Redis> {
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (error) {
    redis.disconnect();
    const message = `Redis at ${TEST_REDIS_URL} is unreachable: ${(error as Error).message}`;
    if (process.env.CI) throw new Error(`${message} (CI requires it: set TEST_REDIS_URL or start Redis)`);
    console.warn(`WARNING: ${message}; skipping Redis tests.`);
    throw new RedisUnavailable(message);
  }
}

/** Deletes every key matching the pattern (a test's own prefix). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
