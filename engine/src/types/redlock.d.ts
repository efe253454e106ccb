// redlock 4.2 ships no types; this covers the part the engine uses.
declare module 'redlock' {
  import type { Cluster, Redis } from 'ioredis';
  namespace Redlock {
    interface Lock {
      unlock(): Promise<void>;
      extend(ttlMs: number): Promise<Lock>;
      readonly expiration: number;
    }
    interface Options {
      driftFactor?: number;
      retryCount?: number;
      retryDelay?: number;
      retryJitter?: number;
    }
  }
  class Redlock {
    constructor(clients: (Redis | Cluster)[], options?: Redlock.Options);
    lock(resource: string, ttlMs: number): Promise<Redlock.Lock>;
    on(event: 'clientError', listener: (error: Error) => void): this;
  }
  export = Redlock;
}
