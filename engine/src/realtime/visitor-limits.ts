import { createHash } from 'node:crypto';
import type { RedisClient } from '../storage/redis-connection';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { EngineConfig } from '../config';
import { RateLimitedError } from '../errors';

/**
 * What a visitor does, by cost: `message` (message:send), `start` (dialog:start, callback:request: they
 * create dialogs), `event` (the cheaper rest), `handshake` (every /visitor connection), `token` (a
 * handshake that mints a new visitor), `attachment` (attachment:prepare: each may upload a file).
 */
export type VisitorAction = 'message' | 'start' | 'event' | 'handshake' | 'token' | 'attachment';

interface Rule {
  points: number;
  seconds: number;
}

/** Per visitor (none for `token`: a new visitor has no identity yet) and per client address. */
export interface VisitorLimitRules {
  perVisitor: Record<Exclude<VisitorAction, 'token'>, Rule>;
  perAddress: Record<VisitorAction, Rule>;
}

export function visitorLimitRules(config: EngineConfig): VisitorLimitRules {
  const per10s = (points: number): Rule => ({ points, seconds: 10 });
  const perMinute = (points: number): Rule => ({ points, seconds: 60 });
  return {
    perVisitor: {
      message: per10s(config.VISITOR_MESSAGES_PER_10S),
      start: perMinute(config.VISITOR_STARTS_PER_MINUTE),
      event: per10s(config.VISITOR_EVENTS_PER_10S),
      handshake: perMinute(config.VISITOR_HANDSHAKES_PER_MINUTE),
      attachment: perMinute(config.VISITOR_ATTACHMENTS_PER_MINUTE),
    },
    perAddress: {
      message: per10s(config.ADDRESS_MESSAGES_PER_10S),
      start: perMinute(config.ADDRESS_STARTS_PER_MINUTE),
      event: per10s(config.ADDRESS_EVENTS_PER_10S),
      handshake: perMinute(config.ADDRESS_HANDSHAKES_PER_MINUTE),
      token: perMinute(config.ADDRESS_TOKENS_PER_MINUTE),
      attachment: perMinute(config.ADDRESS_ATTACHMENTS_PER_MINUTE),
    },
  };
}

interface Limiter {
  consume(key: string): Promise<unknown>;
}

/**
 * Fixed-window counters per visitor and per client address (rate-limiter-flexible): in Redis when the
 * engine has one, so every replica counts together; in memory otherwise. Once a key is over its limit
 * it is refused from memory until its window ends, so a flood costs no Redis round per event. If Redis
 * fails, each node counts on its own (the memory insurance limiter) rather than refusing everyone.
 */
export class VisitorLimits {
  private readonly visitor: Record<Exclude<VisitorAction, 'token'>, Limiter>;
  private readonly address: Record<VisitorAction, Limiter>;

  constructor(
    rules: VisitorLimitRules,
    redis: RedisClient | null,
    prefix: string,
    /** Told of each refusal (a metric). */
    private readonly onRefused: (action: VisitorAction, scope: 'visitor' | 'address') => void = () =>
      undefined,
  ) {
    const limiter = (name: string, rule: Rule): Limiter => {
      const options = { keyPrefix: `${prefix}${name}`, points: rule.points, duration: rule.seconds };
      if (!redis) return new RateLimiterMemory(options);
      return new RateLimiterRedis({
        ...options,
        storeClient: redis,
        inMemoryBlockOnConsumed: rule.points + 1,
        insuranceLimiter: new RateLimiterMemory(options),
      });
    };
    const build = <K extends string>(scope: string, table: Record<K, Rule>) =>
      Object.fromEntries(
        Object.entries<Rule>(table).map(([action, rule]) => [action, limiter(`${scope}:${action}`, rule)]),
      ) as Record<K, Limiter>;
    this.visitor = build('v', rules.perVisitor);
    this.address = build('a', rules.perAddress);
  }

  /**
   * Counts one `action` against the visitor (when known) and then his address; throws
   * `rate_limited` with the wait when either is over its limit. The visitor's own limit is checked
   * first, so a visitor flooding past it does not use up the budget of others behind the same address.
   */
  async consume(
    action: VisitorAction,
    who: { visitor?: string | undefined; address: string },
  ): Promise<void> {
    if (action !== 'token' && who.visitor !== undefined)
      await this.take(this.visitor[action], who.visitor, action, 'visitor');
    await this.take(this.address[action], who.address, action, 'address');
  }

  private async take(
    limiter: Limiter,
    key: string,
    action: VisitorAction,
    scope: 'visitor' | 'address',
  ): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      this.onRefused(action, scope);
      throw new RateLimitedError(Math.max(1, Math.ceil(error.msBeforeNext)));
    }
  }
}

/** A visitor token as a limiter key: counted per token without storing the secret itself in Redis. */
export const tokenKey = (token: string) =>
  createHash('sha256').update(token).digest('base64url').slice(0, 22);
