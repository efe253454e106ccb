/**
 * A Postgres and a Redis of the bench's own, on loopback ports, so the CPU of their processes, the
 * statements (pg_stat_statements) and the Redis commands (INFO commandstats) counted during a step
 * are the measured server's alone: the shared instances serve every helper's tests at once.
 * Postgres runs as the `postgres` user (initdb refuses root); the data directories are removed on stop.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import knex, { type Knex } from 'knex';
import { freePort } from '../engine/test/support/engine-process';

const PG_BIN = [
  '/usr/lib/postgresql/17/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/15/bin',
].find((dir) => existsSync(join(dir, 'initdb')));
/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times. */
const TICK_MS = 10;

/**
 * CPU ms (user + system) a process has used so far, from /proc/<pid>/stat; with `reaped`, also that
 * of its children that exited and were waited for (a Postgres backend's CPU, once it has exited).
 */
export function processCpuMs(pid: number, reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the name start at state (3rd); utime, stime, cutime and cstime are the 14th to 17th.
    const own = Number(fields[11]) + Number(fields[12]);
    return (own + (reaped ? Number(fields[13]) + Number(fields[14]) : 0)) * TICK_MS;
  } catch {
    return 0; // exited
  }
}

/** The resident set of a process in bytes, from /proc/<pid>/status. */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** The pids of a process and all of its children (Postgres: the postmaster and its backends). */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  return tree;
}

/** The bench's own statements (its counter reads and resets) are not the measured server's. */
const NOT_OURS = "query not like '%pg_stat_statements%'";
/** How statementCalls marks a statement run inside another (track=all), e.g. a foreign key's check. */
export const NESTED = 'nested:';

/** A statement's normalised text, calls, and total planning and execution ms (track_planning=on). */
export type StatementCalls = [sql: string, calls: number, planMs: number, execMs: number];

export interface PrivateBackends {
  databaseUrl: string;
  redisUrl: string;
  /** CPU ms of all Postgres processes, exited backends included. */
  postgresCpuMs(): number;
  redisCpuMs(): Promise<number>;
  /** Statements executed since the last reset (pg_stat_statements, utility statements included). */
  statements(): Promise<number>;
  /**
   * The same statements by normalised text, most called first, with their calls and the ms Postgres
   * spent planning and executing them; a statement run inside another (a foreign key's check, counted
   * with track=all) starts with NESTED.
   */
  statementCalls(): Promise<StatementCalls[]>;
  /** Redis commands since the last reset by name, those run inside scripts included (INFO commandstats). */
  redisCommands(): Promise<Map<string, number>>;
  resetCounters(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateBackends(): Promise<PrivateBackends> {
  if (!PG_BIN) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'hotline-bench-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asPostgres = (bin: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args], { stdio: 'pipe' });
  asPostgres('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync']);
  const pgPort = await freePort();
  const postgres: ChildProcess = spawn(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      join(PG_BIN, 'postgres'),
      '-D',
      data,
      '-p',
      String(pgPort),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'shared_preload_libraries=pg_stat_statements',
      '-c',
      'pg_stat_statements.track=all',
      '-c',
      'pg_stat_statements.track_planning=on',
      '-c',
      'max_connections=200',
      '-c',
      'fsync=on',
    ],
    { stdio: 'ignore' },
  );
  const redisPort = await freePort();
  const redisServer = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let ready = false; !ready; ) {
    try {
      asPostgres('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(pgPort)]);
      ready = true;
    } catch {
      if (postgres.exitCode !== null) throw new Error('the private Postgres exited at start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  let db: Knex | undefined;
  let redis: Redis | undefined;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      db ??= knex({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
      await db.raw('create extension if not exists pg_stat_statements');
      redis ??= new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
      if (redis.status !== 'ready') await redis.connect();
      break;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`private backends did not start: ${(error as Error).message}`);
      redis?.disconnect();
      redis = undefined;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const postmasterPid = (): number => {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid;
  };
  const redisInfo = async (section: string) => (await redis!.info(section)).split('\r\n');
  return {
    databaseUrl,
    redisUrl,
    // The postmaster's reaped children keep a backend's CPU counted after it exits (no negative spans).
    postgresCpuMs: () =>
      processTree(postmasterPid()).reduce((sum, pid, i) => sum + processCpuMs(pid, i === 0), 0),
    async redisCpuMs() {
      const lines = await redisInfo('cpu');
      const value = (name: string) => Number(lines.find((l) => l.startsWith(`${name}:`))?.split(':')[1] ?? 0);
      return (value('used_cpu_user') + value('used_cpu_sys')) * 1000;
    },
    async statements() {
      const { rows } = await db!.raw<{ rows: { calls: string | null }[] }>(
        `select sum(calls) as calls from pg_stat_statements where ${NOT_OURS}`,
      );
      return Number(rows[0]?.calls ?? 0);
    },
    async statementCalls() {
      // Summed by text and level: track=all keeps one row per user, database and level.
      const { rows } = await db!.raw<{
        rows: { query: string; toplevel: boolean; calls: string; plan: number; exec: number }[];
      }>(
        `select query, toplevel, sum(calls) as calls, sum(total_plan_time) as plan,
           sum(total_exec_time) as exec from pg_stat_statements where ${NOT_OURS}
         group by query, toplevel order by sum(calls) desc`,
      );
      return rows.map((r) => [
        `${r.toplevel ? '' : `${NESTED} `}${r.query}`,
        Number(r.calls),
        Number(r.plan),
        Number(r.exec),
      ]);
    },
    async redisCommands() {
      const lines = await redisInfo('commandstats');
      const calls = new Map<string, number>();
      for (const line of lines) {
        const match = /^cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/.exec(line);
        if (match && match[1] !== 'info' && match[1] !== 'config|resetstat')
          calls.set(match[1]!, Number(match[2]));
      }
      return calls;
    },
    async resetCounters() {
      await db!.raw('select pg_stat_statements_reset()');
      await redis!.config('RESETSTAT');
    },
    async stop() {
      await db?.destroy();
      redis?.disconnect();
      redisServer.kill('SIGTERM');
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } catch {
        postgres.kill('SIGTERM');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
