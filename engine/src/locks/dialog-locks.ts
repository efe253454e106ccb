/// <reference path="../types/redlock.d.ts" />
import type { RedisClient } from '../storage/redis-connection';
import Redlock from 'redlock';
import type { Logger } from '../logger';

/**
 * Serializes work on one key (a dialog) to save wasted retries. Correctness never rests on it:
 * every write is version-checked, so a holder whose lock expired cannot overwrite newer state.
 */
export interface Locks {
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` only if nobody else holds the lease right now (single-runner background jobs);
   * returns false without running it otherwise. The work itself must stay idempotent.
   */
  tryLease(key: string, ttlMs: number, work: () => Promise<void>): Promise<boolean>;
}

/** In-process: a promise chain per key. */
export class MemoryLocks implements Locks {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly leases = new Set<string>();

  async tryLease(key: string, _ttlMs: number, work: () => Promise<void>): Promise<boolean> {
    if (this.leases.has(key)) return false;
    this.leases.add(key);
    try {
      await work();
      return true;
    } finally {
      this.leases.delete(key);
    }
  }

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * Keys locked on this node only. A dialog's writes are version-checked and retried, and two nodes
 * dispatching one dialog at the same instant is rare: redlock's two scripts on every dispatch (about
 * ten per routed dialog) cost more than the occasional retry they would save.
 */
const NODE_LOCAL_KEYS = /^dialog:/;

/**
 * Across nodes: redlock on the shared Redis, plus the in-process chain so one node does not contend
 * with itself. Keys matching NODE_LOCAL_KEYS take the in-process chain only.
 */
export class RedisLocks implements Locks {
  private readonly local = new MemoryLocks();
  private readonly redlock: Redlock;
  private readonly leaseLock: Redlock;

  constructor(
    redis: RedisClient,
    private readonly logger: Logger,
    private readonly prefix = 'hl:lock:',
    private readonly ttlMs = 5000,
  ) {
    this.redlock = new Redlock([redis], {
      retryCount: 20,
      retryDelay: 50,
      retryJitter: 50,
      driftFactor: 0.01,
    });
    this.leaseLock = new Redlock([redis], { retryCount: 0, driftFactor: 0.01 });
  }

  async tryLease(key: string, ttlMs: number, work: () => Promise<void>): Promise<boolean> {
    let lease: Redlock.Lock;
    try {
      lease = await this.leaseLock.lock(`${this.prefix}lease:${key}`, ttlMs);
    } catch {
      return false;
    }
    try {
      await work();
      return true;
    } finally {
      await lease.unlock().catch(() => undefined);
    }
  }

  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (NODE_LOCAL_KEYS.test(key)) return this.local.withLock(key, work);
    return this.local.withLock(key, async () => {
      let lock: Redlock.Lock | null = null;
      try {
        lock = await this.redlock.lock(this.prefix + key, this.ttlMs);
      } catch (error) {
        // Not getting the lock only costs a possible version conflict and retry.
        this.logger.debug({ err: error, key }, 'lock not acquired, relying on version check');
      }
      try {
        return await work();
      } finally {
        await lock?.unlock().catch(() => undefined);
      }
    });
  }
}
