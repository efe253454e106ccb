import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from '../storage/redis-connection';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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

const script = (file: string) => readFileSync(new URL(`./commands/${file}`, import.meta.url), 'utf8');

/** Registered under a versioned name, like the routing scripts: bump when the script's contract changes. */
const CONSUME = 'hlConsumeVisitorLimits_v1';
const GIVE_BACK = 'hlGiveBackVisitorLimit_v1';

type ScriptFn = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** One counter a script call counts: its key, its rule, and what a refusal reports. */
interface Counted {
  key: string;
  rule: Rule;
  action: VisitorAction;
  scope: 'visitor' | 'address';
}

/** Beyond this many keys refused from memory, the expired ones are swept. */
const BLOCKED_SWEEP_AT = 10_000;

/**
 * Fixed-window counters per visitor and per client address: in Redis when the engine has one, so
 * every replica counts together, both counted by one script (commands/consumeVisitorLimits-2.lua: one
 * round trip per event, not one per counter); in memory otherwise (rate-limiter-flexible). Once a key
 * is over its limit it is refused from memory until its window ends, so a flood costs no Redis round
 * per event. If Redis fails, each node counts on its own in memory rather than refusing everyone.
 * Keys carry the `{limit}` hash tag (one slot on Redis Cluster: the script counts two keys).
 */
export class VisitorLimits {
  private readonly memory: {
    visitor: Record<Exclude<VisitorAction, 'token'>, RateLimiterMemory>;
    address: Record<VisitorAction, RateLimiterMemory>;
  };
  /** Keys over their limit on this node, to the end of their window (epoch ms). */
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly rules: VisitorLimitRules,
    private readonly redis: RedisClient | null,
    private readonly prefix: string,
    /** Told of each refusal (a metric). */
    private readonly onRefused: (action: VisitorAction, scope: 'visitor' | 'address') => void = () =>
      undefined,
    private readonly clock: () => number = Date.now,
  ) {
    redis?.defineCommand(CONSUME, { numberOfKeys: 2, lua: script('consumeVisitorLimits-2.lua') });
    redis?.defineCommand(GIVE_BACK, { numberOfKeys: 1, lua: script('giveBackVisitorLimit-1.lua') });
    const build = <K extends string>(scope: string, table: Record<K, Rule>) =>
      Object.fromEntries(
        Object.entries<Rule>(table).map(([action, rule]) => [
          action,
          new RateLimiterMemory({
            keyPrefix: `${prefix}${scope}:${action}`,
            points: rule.points,
            duration: rule.seconds,
          }),
        ]),
      ) as Record<K, RateLimiterMemory>;
    this.memory = { visitor: build('v', rules.perVisitor), address: build('a', rules.perAddress) };
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
    const visitor = action !== 'token' && who.visitor !== undefined ? who.visitor : undefined;
    const visitorKey = visitor === undefined ? null : `${this.prefix}v:${action}:${visitor}`;
    const addressKey = `${this.prefix}a:${action}:${who.address}`;
    if (visitorKey) this.refuseWhileBlocked(visitorKey, action, 'visitor');
    const counted = await this.countInRedis(
      visitorKey && action !== 'token'
        ? { key: visitorKey, rule: this.rules.perVisitor[action], action, scope: 'visitor' }
        : null,
      { key: addressKey, rule: this.rules.perAddress[action], action, scope: 'address' },
    );
    if (!counted) await this.consumeInMemory(action, visitor, who.address);
  }

  /**
   * A handshake without a visitor token, which mints a new visitor: `handshake` and then `token`
   * counted against his address in one round trip, as `consume('handshake')` and then
   * `consume('token')` would count them (the token only while the handshake is under its limit).
   */
  async consumeMinting(address: string): Promise<void> {
    const handshakeKey = `${this.prefix}a:handshake:${address}`;
    this.refuseWhileBlocked(handshakeKey, 'handshake', 'address');
    const counted = await this.countInRedis(
      { key: handshakeKey, rule: this.rules.perAddress.handshake, action: 'handshake', scope: 'address' },
      {
        key: `${this.prefix}a:token:${address}`,
        rule: this.rules.perAddress.token,
        action: 'token',
        scope: 'address',
      },
    );
    if (counted) return;
    await this.consumeInMemory('handshake', undefined, address);
    await this.consumeInMemory('token', undefined, address);
  }

  /**
   * Gives back the token `consumeMinting` counted when no visitor was minted after all (his address
   * is blocked, the site unknown): a refused handshake does not use up his address's token budget.
   */
  async giveBackToken(address: string): Promise<void> {
    const key = `${this.prefix}a:token:${address}`;
    const redis = this.redis;
    const fn = (redis as unknown as Record<string, ScriptFn | undefined> | null)?.[GIVE_BACK];
    if (redis?.status === 'ready' && fn) {
      // Best effort: a failure only leaves the point counted until its window ends.
      await fn.apply(redis, [key]).catch(() => undefined);
      return;
    }
    await this.memory.address.token.reward(address, 1);
  }

  /**
   * One script counts `first` (when given) and then `second`; throws `rate_limited` for the one over
   * its limit. False without Redis, or while it fails: the caller counts in memory instead.
   */
  private async countInRedis(first: Counted | null, second: Counted): Promise<boolean> {
    const redis = this.redis;
    if (redis?.status !== 'ready') return false;
    // Refused from memory already: not counted in Redis again, refused below.
    const secondBlocked = this.blockedMs(second.key) > 0;
    let reply: unknown;
    try {
      const fn = (redis as unknown as Record<string, ScriptFn | undefined>)[CONSUME];
      if (!fn) throw new Error(`script ${CONSUME} is not registered`);
      reply = await fn.apply(redis, [
        first?.key ?? second.key,
        second.key,
        first ? first.rule.points : 0,
        first?.rule.seconds ?? 0,
        secondBlocked ? 0 : second.rule.points,
        second.rule.seconds,
      ]);
    } catch {
      return false;
    }
    if (!Array.isArray(reply))
      throw new Error(`consumeVisitorLimits: unexpected reply ${JSON.stringify(reply)}`);
    const [over, wait] = reply.map(Number);
    if (over === 1 && first) this.refuse(first.key, wait ?? 1, first.action, first.scope);
    if (over === 2) this.refuse(second.key, wait ?? 1, second.action, second.scope);
    if (secondBlocked) this.refuseWhileBlocked(second.key, second.action, second.scope);
    return true;
  }

  /** Without Redis, or while it fails: this node's own counts, the visitor's first. */
  private async consumeInMemory(action: VisitorAction, visitor: string | undefined, address: string) {
    if (action !== 'token' && visitor !== undefined)
      await this.take(this.memory.visitor[action], visitor, action, 'visitor');
    await this.take(this.memory.address[action], address, action, 'address');
  }

  private async take(
    limiter: RateLimiterMemory,
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

  private blockedMs(key: string): number {
    const until = this.blocked.get(key);
    if (until === undefined) return 0;
    const left = until - this.clock();
    if (left <= 0) this.blocked.delete(key);
    return left;
  }

  private refuseWhileBlocked(key: string, action: VisitorAction, scope: 'visitor' | 'address') {
    const left = this.blockedMs(key);
    if (left <= 0) return;
    this.onRefused(action, scope);
    throw new RateLimitedError(Math.max(1, Math.ceil(left)));
  }

  /** Over its limit in Redis: refused, and refused from memory on this node until its window ends. */
  private refuse(key: string, waitMs: number, action: VisitorAction, scope: 'visitor' | 'address'): never {
    const now = this.clock();
    if (this.blocked.size >= BLOCKED_SWEEP_AT)
      for (const [k, until] of this.blocked) if (until <= now) this.blocked.delete(k);
    this.blocked.set(key, now + waitMs);
    this.onRefused(action, scope);
    throw new RateLimitedError(Math.max(1, Math.ceil(waitMs)));
  }
}

/** A visitor token as a limiter key: counted per token without storing the secret itself in Redis. */
export const tokenKey = (token: string) =>
  createHash('sha256').update(token).digest('base64url').slice(0, 22);
