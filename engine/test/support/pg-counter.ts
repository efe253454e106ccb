import { connect, type Socket } from 'node:net';
import type { Knex } from 'knex';

/** One statement knex sent to Postgres, as the `query` event reports it. */
interface KnexQueryEvent {
  sql: string;
  __knexTxId?: string;
}

export interface StatementCount {
  /** Every statement, BEGIN and COMMIT included, but the operator sockets' session re-checks. */
  statements: number;
  /** Session re-checks of operator sockets (at most one per socket per SESSION_RECHECK_MS: time-bound). */
  sessionChecks: number;
  /** Statements outside any transaction that read (select). */
  reads: number;
  /** Distinct transactions. */
  transactions: number;
  /** The statements' SQL in order (for the printout when a budget is broken). */
  sql: string[];
}

/**
 * Counts the statements a real knex client sends to Postgres, by its `query` event (emitted for
 * every statement, those of transactions included: knex's transaction client shares its emitter).
 * `take()` returns what was counted since the last take and starts again.
 */
export class PgCounter {
  private events: KnexQueryEvent[] = [];
  private readonly listener = (event: KnexQueryEvent) => {
    this.events.push(event);
  };

  constructor(private readonly db: Knex) {
    db.on('query', this.listener);
  }

  get size() {
    return this.events.length;
  }

  take(): StatementCount {
    const all = this.events.splice(0);
    const isSessionCheck = (e: KnexQueryEvent) => /from "operator_sessions"/.test(e.sql) && !e.__knexTxId;
    const events = all.filter((e) => !isSessionCheck(e));
    const transactions = new Set(events.flatMap((e) => (e.__knexTxId ? [e.__knexTxId] : [])));
    return {
      statements: events.length,
      sessionChecks: all.length - events.length,
      reads: events.filter((e) => !e.__knexTxId && /^\s*select/i.test(e.sql)).length,
      transactions: transactions.size,
      sql: events.map((e) => (e.__knexTxId ? `[tx] ${e.sql}` : e.sql)),
    };
  }

  stop() {
    this.db.off('query', this.listener);
  }
}

/**
 * Counts the Redis commands that name `prefix` (every key and channel of one engine carries its
 * prefix), by MONITOR on a raw connection of its own (ioredis' monitor mode trips on a busy shared
 * server): real Redis, every client of the engine included (store, locks, limits, socket.io adapter).
 */
export class RedisCounter {
  private lines: string[] = [];
  private rest = '';

  private constructor(
    private readonly socket: Socket,
    private readonly prefix: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const parts = (this.rest + chunk).split('\r\n');
      this.rest = parts.pop() ?? '';
      for (const line of parts) {
        // "+<time> [<db> <client>] "<command>" "<arg>" ..."
        const command = /^\+\d+\.\d+ \[[^\]]*\] "([^"]*)"/.exec(line)?.[1];
        if (command && line.includes(this.prefix)) this.lines.push(command.toLowerCase());
      }
    });
  }

  static async start(url: string, prefix: string): Promise<RedisCounter> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port || 6379), hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write('MONITOR\r\n');
    return new RedisCounter(socket, prefix);
  }

  get size() {
    return this.lines.length;
  }

  take(): { commands: number; byName: Record<string, number> } {
    const lines = this.lines.splice(0);
    const byName: Record<string, number> = {};
    for (const name of lines) byName[name] = (byName[name] ?? 0) + 1;
    return { commands: lines.length, byName };
  }

  stop() {
    this.socket.destroy();
  }
}

/** Resolves once neither counter has grown for `quietMs` (the async consumers of a step are done). */
export async function settled(counters: { size: number }[], quietMs = 700, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = counters.map((c) => c.size).join(',');
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    const now = counters.map((c) => c.size).join(',');
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
  throw new Error('the counters kept growing');
}
