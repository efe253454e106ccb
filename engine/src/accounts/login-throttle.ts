import type { Redis } from 'ioredis';

/** Counts failed logins per key in a fixed window; shared across replicas when Redis is used. */
export interface LoginThrottle {
  /** Whether the key is currently blocked, and for how many more seconds. */
  check(key: string): Promise<{ blocked: boolean; retryAfterSeconds: number }>;
  recordFailure(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

export class MemoryLoginThrottle implements LoginThrottle {
  private readonly failures = new Map<string, { count: number; until: number }>();
  constructor(
    private readonly maxFailures: number,
    private readonly windowSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async check(key: string) {
    const entry = this.failures.get(key);
    const now = this.clock();
    if (!entry || entry.until <= now) return { blocked: false, retryAfterSeconds: 0 };
    return {
      blocked: entry.count >= this.maxFailures,
      retryAfterSeconds: Math.ceil((entry.until - now) / 1000),
    };
  }

  async recordFailure(key: string) {
    const now = this.clock();
    const entry = this.failures.get(key);
    if (!entry || entry.until <= now) this.failures.set(key, { count: 1, until: now + this.windowSeconds * 1000 });
    else entry.count += 1;
  }

  async reset(key: string) {
    this.failures.delete(key);
  }
}

export class RedisLoginThrottle implements LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly maxFailures: number,
    private readonly windowSeconds: number,
    private readonly prefix = 'hl:login:',
  ) {}

  async check(key: string) {
    const [count, ttl] = await this.redis.multi().get(this.prefix + key).ttl(this.prefix + key).exec().then((r) => [
      Number(r?.[0]?.[1] ?? 0),
      Number(r?.[1]?.[1] ?? 0),
    ]);
    return { blocked: (count ?? 0) >= this.maxFailures, retryAfterSeconds: Math.max(0, ttl ?? 0) };
  }

  async recordFailure(key: string) {
    // NX on EXPIRE: the window starts at the first failure and is not extended by later ones.
    await this.redis.multi().incr(this.prefix + key).expire(this.prefix + key, this.windowSeconds, 'NX').exec();
  }

  async reset(key: string) {
    await this.redis.del(this.prefix + key);
  }
}
