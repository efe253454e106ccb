/**
 * What Postgres does for one routed dialog, statement by statement: the engine (its test server, no
 * background workers) on the bench's own Postgres with pg_stat_statements (track=all), a few dialogs
 * to warm up (prepared statements, caches), then `BENCH_PG_DIALOGS` routed dialogs in turn (started
 * with a message, assigned, one more visitor message, answered once, closed: the bench's dialog), the counters read after.
 * Run: `node --import tsx bench/pg-per-dialog.ts` (as root: the private Postgres runs as `postgres`).
 */
import type { DialogDetail, MessageView, VisitorDialogView } from '@hotline/protocol';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import knex from 'knex';
import * as clients from '../engine/test/support/clients';
import { startTestServer, TEST_ROUTING } from '../engine/test/support/engine';
import { processCpuMs, startPrivateBackends } from './private-backends';

const DIALOGS = Number(process.env.BENCH_PG_DIALOGS ?? 40);
const WARMUP = 5;

const backends = await startPrivateBackends();
// An experiment's setting for the engine's sessions, e.g. BENCH_PG_SET='plan_cache_mode=force_generic_plan'.
if (process.env.BENCH_PG_SET) {
  const [name, value] = process.env.BENCH_PG_SET.split('=');
  const admin = knex({ client: 'pg', connection: backends.databaseUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`alter database postgres set ${name} = '${value}'`);
  await admin.destroy();
}
const server = await startTestServer(
  'real',
  {
    routingConfigPath: TEST_ROUTING,
    PRESENCE_HEARTBEAT_MS: 600_000,
    DATABASE_URL: backends.databaseUrl,
    DATABASE_SCHEMA: 'bench',
    REDIS_URL: backends.redisUrl,
    REDIS_KEY_PREFIX: 'bench',
  },
  { background: false },
);
/** The postmaster's children now: each one's kind (its title without the client's address) and CPU ms. */
async function postgresProcesses(): Promise<Map<number, { kind: string; ms: number }>> {
  const mine = (await db.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  const stat = readFileSync(`/proc/${mine}/stat`, 'utf8');
  const postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  const children = execFileSync('ps', ['--ppid', String(postmaster), '-o', 'pid=,args='], {
    encoding: 'utf8',
  });
  const processes = new Map<number, { kind: string; ms: number }>();
  for (const line of children.trim().split('\n')) {
    const [, pid, args] = /^\s*(\d+)\s+(.*)$/.exec(line) ?? [];
    if (!pid || Number(pid) === mine) continue;
    const kind = args!.replace(/^postgres: /, '').replace(/ 127\.0\.0\.1\(\d+\).*$/, ' backend');
    processes.set(Number(pid), { kind, ms: processCpuMs(Number(pid)) });
  }
  return processes;
}

const { call, chatStart, clientId, connectOperator, connectVisitor, next } = clients;
const db = knex({ client: 'pg', connection: backends.databaseUrl, pool: { min: 0, max: 1 } });
try {
  const anna = await connectOperator(server.url, 'anna@example.com');
  await call(anna, 'presence:set', { status: 'online' });
  const routed = async () => {
    const visitor = await connectVisitor(server.url);
    const assigned = next<DialogDetail>(anna, 'dialog:assigned');
    await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('support'));
    const dialogId = (await assigned).id;
    const heard = next<MessageView>(anna, 'message:new', (m) => m.body === 'one more thing');
    await call(visitor, 'message:send', { clientMessageId: clientId(), body: 'one more thing' });
    await heard;
    const seen = next<MessageView>(visitor, 'message:new', (m) => m.authorKind === 'operator');
    await call(anna, 'message:send', { dialogId, clientMessageId: clientId(), body: 'Hi!' });
    await seen;
    const closed = next<{ state: string }>(visitor, 'dialog:state', (s) => s.state === 'closed');
    await call(anna, 'dialog:close', { dialogId, outcome: 'resolved' });
    await closed;
    visitor.disconnect();
  };
  for (let i = 0; i < WARMUP; i++) await routed();
  await new Promise((r) => setTimeout(r, 500));
  await backends.resetCounters();
  const lsn = async () =>
    (await db.raw<{ rows: { lsn: string }[] }>('select pg_current_wal_lsn() as lsn')).rows[0]!.lsn;
  const from = await lsn();
  const cpuBefore = backends.postgresCpuMs();
  const processesBefore = await postgresProcesses();
  // BENCH_PG_PERF=<file>: a perf profile of the backends over the measured dialogs.
  const perf = process.env.BENCH_PG_PERF
    ? spawn(
        'perf',
        [
          'record',
          '-F',
          '2000',
          '-g',
          '-o',
          process.env.BENCH_PG_PERF,
          '-p',
          [...processesBefore.keys()].join(','),
        ],
        {
          stdio: 'ignore',
        },
      )
    : undefined;
  if (perf) await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < DIALOGS; i++) await routed();
  await new Promise((r) => setTimeout(r, 500));
  const to = await lsn();
  const cpuMs = backends.postgresCpuMs() - cpuBefore;
  const processesAfter = await postgresProcesses();
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('exit', r));
  }
  if (process.env.BENCH_PG_WALDUMP) {
    // Which WAL records the dialogs wrote, by resource manager and record type (pg_waldump --stats).
    const dir = (await db.raw<{ rows: { d: string }[] }>("select current_setting('data_directory') as d"))
      .rows[0]!.d;
    const bin = (
      await db.raw<{ rows: { v: string }[] }>("select current_setting('server_version_num') as v")
    ).rows[0]!.v.slice(0, 2);
    console.log(
      execFileSync(
        `/usr/lib/postgresql/${bin}/bin/pg_waldump`,
        ['-p', `${dir}/pg_wal`, '-s', from, '-e', to, '--stats=record'],
        {
          encoding: 'utf8',
        },
      ),
    );
    // And by relation: each record's total length counted for the first relation it names.
    const names = new Map(
      (
        await db.raw<{ rows: { node: string; name: string }[] }>(
          "select relfilenode::text as node, relname as name from pg_class where relnamespace = 'bench'::regnamespace",
        )
      ).rows.map((r) => [r.node, r.name]),
    );
    const byRelation = new Map<string, { records: number; bytes: number }>();
    const dump = execFileSync(
      `/usr/lib/postgresql/${bin}/bin/pg_waldump`,
      ['-p', `${dir}/pg_wal`, '-s', from, '-e', to],
      {
        encoding: 'utf8',
        maxBuffer: 1e8,
      },
    );
    for (const line of dump.split('\n')) {
      const match = /len \(rec\/tot\):\s*\d+\/\s*(\d+).*?desc: (\w+).*?rel \d+\/\d+\/(\d+)/.exec(line);
      if (!match) continue;
      const key = `${names.get(match[3]!) ?? match[3]} ${match[2]}`;
      const entry = byRelation.get(key) ?? { records: 0, bytes: 0 };
      entry.records++;
      entry.bytes += Number(match[1]);
      byRelation.set(key, entry);
    }
    for (const [key, { records, bytes }] of [...byRelation].sort((a, b) => b[1].bytes - a[1].bytes))
      console.log(
        `  ${key.padEnd(60)} ${(records / DIALOGS).toFixed(1).padStart(5)} records ${(bytes / DIALOGS).toFixed(0).padStart(6)} B per dialog`,
      );
  }
  const { rows } = await db.raw<{
    rows: {
      query: string;
      toplevel: boolean;
      calls: string;
      exec: number;
      plan: number;
      plans: string;
      wal_records: string;
      wal_fpi: string;
      wal_bytes: string;
      hit: string;
      read: string;
      dirtied: string;
    }[];
  }>(
    `select query, toplevel, sum(calls) as calls, sum(total_exec_time) as exec, sum(total_plan_time) as plan, sum(plans) as plans, sum(wal_records) as wal_records,
       sum(wal_fpi) as wal_fpi, sum(wal_bytes) as wal_bytes, sum(shared_blks_hit) as hit,
       sum(shared_blks_read) as read, sum(shared_blks_dirtied) as dirtied
     from pg_stat_statements where query not like '%pg_stat_statements%'
     group by query, toplevel order by toplevel desc, sum(total_exec_time) desc`,
  );
  const per = (v: string | number) => Number(v) / DIALOGS;
  const top = rows.filter((r) => r.toplevel);
  const sum = (
    key: 'calls' | 'exec' | 'plan' | 'wal_records' | 'wal_fpi' | 'wal_bytes' | 'hit' | 'dirtied',
    list = top,
  ) => list.reduce((s, r) => s + Number(r[key]), 0);
  console.log(
    `${DIALOGS} routed dialogs; per dialog: ${per(sum('calls')).toFixed(1)} top-level statements, ` +
      `${per(
        sum(
          'calls',
          rows.filter((r) => !r.toplevel),
        ),
      ).toFixed(1)} nested, ` +
      `${per(sum('plan')).toFixed(2)} ms planning, ${per(sum('exec')).toFixed(2)} ms executing, WAL ${per(sum('wal_records')).toFixed(1)} records ` +
      `${per(sum('wal_bytes')).toFixed(0)} bytes (${per(sum('wal_fpi')).toFixed(2)} full pages), ` +
      `${per(sum('hit')).toFixed(0)} buffers hit, ${per(sum('dirtied')).toFixed(1)} dirtied; ` +
      `Postgres CPU ${per(cpuMs).toFixed(1)} ms (all its processes, one dialog at a time)`,
  );
  for (const r of rows) {
    console.log(
      `${r.toplevel ? 'top   ' : 'nested'} calls/dialog ${per(r.calls).toFixed(2).padStart(6)} ` +
        `planned ${per(r.plans).toFixed(2).padStart(5)} plan/exec ms ${per(r.plan).toFixed(3).padStart(6)} ${per(r.exec).toFixed(3).padStart(6)} wal ${per(r.wal_bytes).toFixed(0).padStart(6)} B ` +
        `(${per(r.wal_records).toFixed(1)} rec, ${per(r.wal_fpi).toFixed(2)} fpi) hit ${per(r.hit).toFixed(0).padStart(4)} ` +
        `| ${r.query.replace(/\s+/g, ' ').slice(0, Number(process.env.BENCH_PG_SQL_WIDTH ?? 160))}`,
    );
  }
  // Which of Postgres's processes spent it (backends by their client; walwriter, autovacuum …).
  const byKind = new Map<string, number>();
  for (const [pid, { kind, ms }] of processesAfter) {
    const spent = ms - (processesBefore.get(pid)?.ms ?? 0);
    byKind.set(kind, (byKind.get(kind) ?? 0) + spent);
  }
  console.log(
    `Postgres CPU ms per dialog by process (live processes only): ${[...byKind]
      .filter(([, ms]) => ms > 0)
      .map(([kind, ms]) => `${kind} ${per(ms).toFixed(2)}`)
      .join(', ')}`,
  );
} finally {
  await db.destroy();
  await server.cleanup();
  await backends.stop();
  process.exit(0);
}
