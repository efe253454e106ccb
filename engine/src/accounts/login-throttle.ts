import { readFileSync } from 'node:fs';
import type { RedisClient } from '../storage/redis-connection';
import type { EngineConfig } from '../config';

/**
 * The login limits (docs/protocol.md, "Login limits"):
 * - one e-mail from one address: `pairLimit` attempts per window, then 429 until the window ends;
 *   a success starts it afresh;
 * - one address, any e-mail: `addressLimit` attempts per window (successes are given back);
 * - one e-mail from any address: once `pairLimit` attempts missed, each further one waits 2 s, 4 s,
 *   8 s ... at most `maxDelaySeconds` after the previous one, except from an address that logged in
 *   to it within `knownAddressSeconds`. A delay, never a lockout: from a known address the real
 *   operator is never slowed by others' guesses, from a new one he waits at most 2 s after guesses
 *   from one other address (many guessing addresses can keep a new one waiting, up to 60 s a try).
 * Attempts are counted before the password is checked, so parallel guesses cannot overrun a limit.
 */
export interface LoginLimits {
  pairLimit: number;
  addressLimit: number;
  windowSeconds: number;
  maxDelaySeconds: number;
  knownAddressSeconds: number;
}

/** Two limits are fixed: the longest e-mail delay (short enough for the real operator to wait out) and how long an address that logged in is remembered. */
export function loginLimitsOf(
  config: Pick<EngineConfig, 'LOGIN_MAX_FAILURES' | 'LOGIN_ADDRESS_MAX_FAILURES' | 'LOGIN_WINDOW_SECONDS'>,
): LoginLimits {
  return {
    pairLimit: config.LOGIN_MAX_FAILURES,
    addressLimit: config.LOGIN_ADDRESS_MAX_FAILURES,
    windowSeconds: config.LOGIN_WINDOW_SECONDS,
    maxDelaySeconds: 60,
    knownAddressSeconds: 30 * 24 * 60 * 60,
  };
}

export interface LoginAttempt {
  email: string;
  address: string;
}

export type LoginVerdict =
  | { allowed: true }
  | { allowed: false; limit: 'pair' | 'address' | 'email'; retryAfterSeconds: number };

export interface LoginThrottle {
  /** Counts the attempt, or refuses it without counting; call before the password is checked. */
  begin(attempt: LoginAttempt): Promise<LoginVerdict>;
  /** The counted attempt had the right password. */
  succeeded(attempt: LoginAttempt): Promise<void>;
  /** The counted attempt got no verdict (storage failed): it is given back, so an outage burns no attempts. */
  abandoned(attempt: LoginAttempt): Promise<void>;
}

const LIMITS = ['pair', 'address', 'email'] as const;

const refused = (limit: (typeof LIMITS)[number], retryAfterMs: number): LoginVerdict => ({
  allowed: false,
  limit,
  retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
});

/** The delay before the next attempt on an e-mail with `missed` attempts not followed by a success. */
export function emailDelayMs(missed: number, limits: LoginLimits): number {
  if (missed < limits.pairLimit) return 0;
  return Math.min(1000 * 2 ** (missed - limits.pairLimit + 1), limits.maxDelaySeconds * 1000);
}

interface Counter {
  count: number;
  until: number;
}

/** One process (embedded mode): the same rules as the Redis script, in memory. */
export class MemoryLoginThrottle implements LoginThrottle {
  private readonly counters = new Map<string, Counter>();
  private readonly emails = new Map<string, { missed: number; last: number; until: number }>();
  private readonly known = new Map<string, number>();

  constructor(
    private readonly limits: LoginLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  async begin({ email, address }: LoginAttempt): Promise<LoginVerdict> {
    const now = this.clock();
    const pair = this.live(`pair:${email}|${address}`, now);
    if (pair && pair.count >= this.limits.pairLimit) return refused('pair', pair.until - now);
    const byAddress = this.live(`address:${address}`, now);
    if (byAddress && byAddress.count >= this.limits.addressLimit)
      return refused('address', byAddress.until - now);
    const state = this.emailState(email, now);
    if (state && !this.isKnown(email, address, now)) {
      const due = state.last + emailDelayMs(state.missed, this.limits);
      if (now < due) return refused('email', due - now);
    }
    const windowMs = this.limits.windowSeconds * 1000;
    for (const [key, counter] of [
      [`pair:${email}|${address}`, pair],
      [`address:${address}`, byAddress],
    ] as const) {
      if (counter) counter.count += 1;
      else this.counters.set(key, { count: 1, until: now + windowMs });
    }
    this.emails.set(email, { missed: (state?.missed ?? 0) + 1, last: now, until: now + windowMs });
    return { allowed: true };
  }

  async succeeded(attempt: LoginAttempt): Promise<void> {
    this.giveBack(attempt, true);
  }

  async abandoned(attempt: LoginAttempt): Promise<void> {
    this.giveBack(attempt, false);
  }

  private giveBack({ email, address }: LoginAttempt, passwordWasRight: boolean) {
    const now = this.clock();
    const pairKey = `pair:${email}|${address}`;
    if (passwordWasRight) {
      this.counters.delete(pairKey);
      this.known.set(`${email}|${address}`, now + this.limits.knownAddressSeconds * 1000);
    }
    for (const counter of [
      passwordWasRight ? undefined : this.live(pairKey, now),
      this.live(`address:${address}`, now),
    ])
      if (counter && counter.count > 0) counter.count -= 1;
    const state = this.emailState(email, now);
    if (state && state.missed > 0) state.missed -= 1;
  }

  private live(key: string, now: number): Counter | undefined {
    const counter = this.counters.get(key);
    if (counter && counter.until <= now) this.counters.delete(key);
    return counter && counter.until > now ? counter : undefined;
  }

  private emailState(email: string, now: number) {
    const state = this.emails.get(email);
    if (state && state.until <= now) this.emails.delete(email);
    return state && state.until > now ? state : undefined;
  }

  private isKnown(email: string, address: string, now: number): boolean {
    return (this.known.get(`${email}|${address}`) ?? 0) > now;
  }
}

const script = (file: string) => readFileSync(new URL(`./commands/${file}`, import.meta.url), 'utf8');

/** Registered under versioned names, like the routing scripts: bump when a script's contract changes. */
const BEGIN = 'hlBeginLogin_v1';
const GIVE_BACK = 'hlGiveBackLogin_v1';

type ScriptFn = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

/**
 * Shared by every replica: one Lua step per attempt (commands/beginLogin-4.lua) and one per success
 * (commands/giveBackLogin-4.lua). Every key carries the `{login}` hash tag (one slot on Redis Cluster).
 */
export class RedisLoginThrottle implements LoginThrottle {
  constructor(
    private readonly redis: RedisClient,
    private readonly limits: LoginLimits,
    private readonly prefix = 'hl',
    private readonly clock: () => number = Date.now,
  ) {
    redis.defineCommand(BEGIN, { numberOfKeys: 4, lua: script('beginLogin-4.lua') });
    redis.defineCommand(GIVE_BACK, { numberOfKeys: 4, lua: script('giveBackLogin-4.lua') });
  }

  async begin(attempt: LoginAttempt): Promise<LoginVerdict> {
    const { pairLimit, addressLimit, windowSeconds, maxDelaySeconds } = this.limits;
    const reply = await this.run(BEGIN, attempt, [
      pairLimit,
      addressLimit,
      windowSeconds * 1000,
      this.clock(),
      maxDelaySeconds * 1000,
    ]);
    if (Array.isArray(reply) && reply[0] === 0) return { allowed: true };
    const limit = Array.isArray(reply) ? LIMITS[Number(reply[0]) - 1] : undefined;
    if (!limit || !Array.isArray(reply))
      throw new Error(`beginLogin: unexpected reply ${JSON.stringify(reply)}`);
    return refused(limit, Number(reply[1]));
  }

  async succeeded(attempt: LoginAttempt): Promise<void> {
    await this.run(GIVE_BACK, attempt, [1, this.limits.knownAddressSeconds * 1000]);
  }

  async abandoned(attempt: LoginAttempt): Promise<void> {
    await this.run(GIVE_BACK, attempt, [0, this.limits.knownAddressSeconds * 1000]);
  }

  private run(name: string, { email, address }: LoginAttempt, args: number[]): Promise<unknown> {
    const base = `${this.prefix}:{login}:`;
    const keys = [
      `${base}pair:${email}|${address}`,
      `${base}address:${address}`,
      `${base}email:${email}`,
      `${base}known:${email}|${address}`,
    ];
    const fn = (this.redis as unknown as Record<string, ScriptFn | undefined>)[name];
    if (!fn) throw new Error(`script ${name} is not registered`);
    return fn.apply(this.redis, [...keys, ...args]);
  }
}
