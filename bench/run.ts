/**
 * `npm run bench`: every benchmark of the project, one after another in this process, then a summary.
 *   e2e    — the engine vs the minimal socket.io + Postgres server, same open-loop driver, stepped
 *            rates, own Postgres and Redis (bench/e2e.ts): the headline ratio; with
 *            BENCH_E2E_BASELINE_REF=<commit> also that commit's engine (before / after)
 *   fanout — queue moves to 10,000 waiting visitors on one node, and memory per idle socket (bench/fanout.ts)
 *   store  — Redis routing store vs BullMQ vs raw EVALSHA (bench/routing-store.ts)
 *   cluster — real engine processes (1, then 3) on Postgres + Redis under the multi-node load driver
 *   widget — the widget bundle's raw and gzipped size (widget/bench/size.ts)
 *   uploads — 20 visitors upload 20 MB each at once through one engine: MB/s and peak RSS growth
 * Figures are printed, never asserted: the exit code is non-zero only when a part could not run.
 * Environment knobs are listed in docs/bench.md (BENCH_ONLY=e2e,fanout picks parts).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureWidget } from '../widget/bench/size';
import { clusterEnv, type EngineProcess, startCluster } from '../engine/test/support/engine-process';
import { percentile, prepareLoad, runLoad } from '../engine/test/multinode/load-driver';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../engine/test/support/postgres';
import { deleteKeys, TEST_REDIS_URL, testRedis } from '../engine/test/support/redis';
import { P99_LIMIT_MS, profileFile, runE2e, sideBySide, type TargetRun, topCosts } from './e2e';
import { runFanout } from './fanout';
import { benchRoutingStore, printRoutingStoreTable, STORE_PATHS } from './routing-store';
import { runUploadLoad } from '../engine/test/attachments/upload-load';
import { closeAllSockets } from '../engine/test/support/clients';
import { startTestServer } from '../engine/test/support/engine';

const env = process.env;
const num = (name: string, fallback: number): number => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const PARTS = ['e2e', 'fanout', 'store', 'cluster', 'widget', 'uploads'] as const;
type Part = (typeof PARTS)[number];
const only = (env.BENCH_ONLY || PARTS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of only) {
  if (!PARTS.includes(name as Part))
    throw new Error(`BENCH_ONLY: unknown part "${name}" (${PARTS.join(', ')})`);
}
const wanted = (part: Part) => only.includes(part);

const SEED = num('BENCH_SEED', 20261125);
const STORE_DIALOGS = num('BENCH_STORE_DIALOGS', 10_000);
const STORE_ROUNDS = num('BENCH_STORE_ROUNDS', 5);
const STORE_CONCURRENCY = num('BENCH_STORE_CONCURRENCY', 50);
const E2E_OPERATORS = num('BENCH_E2E_OPERATORS', 50);
const CLUSTER_OPERATORS = num('BENCH_CLUSTER_OPERATORS', 60);
const CLUSTER_DIALOGS = num('BENCH_CLUSTER_DIALOGS', 600);
const CLUSTER_GROUPS = num('BENCH_CLUSTER_GROUPS', 5);
const CLUSTER_CONCURRENCY = num('BENCH_CLUSTER_CONCURRENCY', 16);
const list = (name: string, fallback: string) =>
  (env[name] ?? fallback).split(',').map((n) => {
    const value = Number(n.trim());
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: bad number "${n}"`);
    return value;
  });
// Up to 960/s so that the minimal server finds its own limit rather than the list's end.
const E2E_RATES = list('BENCH_E2E_RATES', '1,2,5,10,20,40,80,120,160,240,320,480,640,960');
const E2E_STEP_SECONDS = num('BENCH_E2E_STEP_SECONDS', 5);
const E2E_VISITORS = num('BENCH_E2E_VISITORS', 300);
const E2E_PROFILE = env.BENCH_E2E_PROFILE === '1';
const E2E_PROFILE_THROUGH = num('BENCH_E2E_PROFILE_THROUGH', 20);
const E2E_BASELINE_REF = env.BENCH_E2E_BASELINE_REF?.trim() || undefined;
const E2E_TOP_STATEMENTS = num('BENCH_E2E_TOP_STATEMENTS', 12);
const FANOUT_VISITORS = num('BENCH_FANOUT_VISITORS', 10_000);
const FANOUT_MOVES = num('BENCH_FANOUT_MOVES', 20);
const FANOUT_PROFILE = env.BENCH_FANOUT_PROFILE === '1';
const FANOUT_PROFILE_KEEP = env.BENCH_FANOUT_PROFILE_KEEP?.trim() || undefined;
const CLUSTER_NODES = (env.BENCH_CLUSTER_NODES ?? '1,3').split(',').map((n) => {
  const count = Number(n.trim());
  if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_CLUSTER_NODES: bad node count "${n}"`);
  return count;
});

/** One line of the final summary. */
interface SummaryRow {
  part: string;
  measure: string;
  value: string;
  target: string;
  verdict: string;
}
const summary: SummaryRow[] = [];
const failures: string[] = [];
const row = (part: string, measure: string, value: string, target = '', verdict = '') =>
  summary.push({ part, measure, value, target, verdict });
const verdict = (met: boolean) => (met ? 'MET' : 'MISSED');
const ms = (n: number) => (Number.isNaN(n) ? 'n/a' : `${n.toFixed(0)} ms`);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function heading(title: string): void {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 76 - title.length))}`);
}

// ---------------------------------------------------------------------------------------------------
// 1. End to end against the minimal server (the headline)

let headline = '';

async function e2ePart(): Promise<void> {
  heading(
    `end to end vs the minimal server: ${E2E_OPERATORS} operators, open loop at ${E2E_RATES.join(', ')}/s, ${E2E_STEP_SECONDS} s a step`,
  );
  console.log(
    `(a step passes with p99 start → assigned < ${P99_LIMIT_MS} ms and no errors; a failing step runs once more and the repeat decides; each dialog: start with a first message,` +
      ' assigned, one more visitor message to the holder, one operator message, closed; the bench’s own Postgres and Redis)',
  );
  const profileDir = E2E_PROFILE ? mkdtempSync(join(tmpdir(), 'hotline-bench-prof-')) : undefined;
  const { minimal, engine, before } = await runE2e({
    rates: E2E_RATES,
    stepSeconds: E2E_STEP_SECONDS,
    operators: E2E_OPERATORS,
    visitors: E2E_VISITORS,
    seed: SEED,
    profileDir,
    stepThroughRate: profileDir ? E2E_PROFILE_THROUGH : 0,
    baselineRef: E2E_BASELINE_REF,
    topStatements: E2E_TOP_STATEMENTS,
  });
  const runs: TargetRun[] = before ? [minimal, before, engine] : [minimal, engine];
  console.log(
    `\nside by side${before ? ` (engine before = ${before.ref}, ${before.short}; after = this tree)` : ''}:`,
  );
  for (const line of sideBySide(runs)) console.log(`  ${line}`);
  const ratio = minimal.sustained > 0 ? engine.sustained / minimal.sustained : Number.NaN;
  const fixed = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(2));
  headline = `e2e sustained / minimal server: ${fixed(ratio)}`;
  console.log(`\n${headline} (engine ${engine.sustained}/s, minimal server ${minimal.sustained}/s)`);
  // Its sustained rate is then the list's end, so the ratio is an upper bound.
  const ceiling = minimal.sustained === Math.max(...E2E_RATES);
  if (ceiling) {
    console.log("(the minimal server passed every step: the bench's ceiling, not its own; add higher rates)");
    row('e2e minimal server', 'passed every step', "the bench's ceiling, not its own");
  }
  const f = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(1));
  for (const run of [engine, ...(before ? [before] : []), minimal]) {
    const part = run === before ? `e2e engine before (${before.short})` : `e2e ${run.name}`;
    // Per-dialog costs at the lowest step: the least disturbed by queueing.
    const first = run.steps[0];
    row(part, 'sustained dialogs/s (p99 < 100 ms, no errors)', String(run.sustained));
    if (!first) continue;
    row(
      part,
      'message → operator p99 by step (ms)',
      run.steps
        .map((s) => `${s.rate}/s ${Number.isNaN(s.messageP99) ? 'n/a' : s.messageP99.toFixed(0)}`)
        .join(', '),
    );
    row(
      part,
      `CPU ms / dialog: node / postgres / redis (at ${first.rate}/s)`,
      `${f(first.nodeCpuMsPerDialog)} / ${f(first.postgresCpuMsPerDialog)} / ${f(first.redisCpuMsPerDialog)}`,
    );
    row(
      part,
      `statements / Redis commands per dialog (at ${first.rate}/s)`,
      `${f(first.statementsPerDialog)} / ${f(first.redisCommandsPerDialog)}`,
    );
    row(
      part,
      'idle, per second: statements / Redis commands',
      `${run.idleStatementsPerSecond.toFixed(2)} / ${f(run.idleRedisCommandsPerSecond)}`,
    );
    row(part, 'load average at the last step', run.steps[run.steps.length - 1]!.load);
  }
  if (before) {
    const gain = before.sustained > 0 ? engine.sustained / before.sustained : Number.NaN;
    row('e2e', `engine after / before (${before.short}), sustained`, fixed(gain));
    // The highest rate both engines ran (each runs at least the first): the same load for both.
    const shared = engine.steps.filter((s) => before.steps.some((b) => b.rate === s.rate));
    const last = shared[shared.length - 1];
    const was = last && before.steps.find((b) => b.rate === last.rate);
    if (last && was) {
      const change = (a: number, b: number) => `${a.toFixed(0)} → ${b.toFixed(0)} ms`;
      row('e2e', `start → assigned p99 before → after (at ${last.rate}/s)`, change(was.p99, last.p99));
      row(
        'e2e',
        `message → operator p99 before → after (at ${last.rate}/s)`,
        change(was.messageP99, last.messageP99),
      );
    }
  }
  row('e2e', 'engine / minimal server, sustained', fixed(ratio), '>= 0.50', verdict(ratio >= 0.5));
  if (profileDir) {
    console.log(
      '\nengine CPU profile over its whole e2e run (start-up included, idle left out), top self time:',
    );
    const { functions, packages, callers } = topCosts(profileDir);
    const print = (rows: { name: string; percent: number }[]) => {
      for (const { name, percent } of rows) console.log(`  ${percent.toFixed(1).padStart(5)} %  ${name}`);
    };
    print(functions);
    console.log('self time per package:');
    print(packages);
    console.log("self time per package, Node's own frames counted for the package that called them:");
    print(callers);
    const file = profileFile(profileDir);
    if (file && env.BENCH_E2E_PROFILE_KEEP) copyFileSync(file, env.BENCH_E2E_PROFILE_KEEP);
    rmSync(profileDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// 2. Queue fan-out and memory per socket

async function fanoutPart(): Promise<void> {
  heading(`queue fan-out: ${FANOUT_VISITORS} waiting visitors on one node, ${FANOUT_MOVES} moves`);
  const r = await runFanout({
    visitors: FANOUT_VISITORS,
    moves: FANOUT_MOVES,
    profile: FANOUT_PROFILE,
    profileKeep: FANOUT_PROFILE_KEEP,
  });
  const f = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(1));
  console.log(
    `engine CPU per queue move: p50 ${f(r.cpuMsP50)} ms, mean ${f(r.cpuMsMean)} ms (the head visitor's close included;` +
      ` the same close with no visitor connected: ${f(r.baselineCpuMs)} ms)\n` +
      `  each move, in order: ${r.cpuMsPerMove.map((ms, i) => `${ms.toFixed(0)} ms/${r.pushesPerMoveEach[i]}`).join(' ')} (CPU/pushes);` +
      ` each close with no visitor connected: ${r.baselineEach.map((ms) => ms.toFixed(0)).join(', ')} ms\n` +
      `move → last visitor's updated position: p50 ${f(r.lastP50)} ms, p99 ${f(r.lastP99)} ms over ${r.moves} moves\n` +
      `wrong positions after the moves: ${r.wrong} of ${FANOUT_VISITORS}\n` +
      `RSS: ${(r.rssBefore / 1048576).toFixed(0)} MB before the visitors, ${(r.rssAfter / 1048576).toFixed(0)} MB with them idle` +
      ` = ${kb(r.rssPerSocket)} per socket, of which ${kb(r.heapPerSocket)} JavaScript heap; load ${load()}`,
  );
  for (const [window, profile] of [
    ['the moves', r.profile],
    ['the idle window', r.idleProfile],
  ] as const) {
    if (!profile) continue;
    console.log(`engine CPU profile over ${window}, top self time:`);
    for (const { name, percent } of [...profile.functions, ...profile.packages])
      console.log(`  ${percent.toFixed(1).padStart(5)} %  ${name}`);
  }
  row(
    'fanout',
    `engine CPU per queue move (${FANOUT_VISITORS} waiting)`,
    `${f(r.cpuMsMean)} ms`,
    '<= 20 ms',
    verdict(r.cpuMsMean <= 20),
  );
  row('fanout', 'of which the close itself (no visitor connected)', `${f(r.baselineCpuMs)} ms`);
  row(
    'fanout',
    'move → last visitor updated, p99',
    `${f(r.lastP99)} ms`,
    '<= 300 ms',
    verdict(r.lastP99 <= 300),
  );
  row('fanout', 'wrong positions after the moves', String(r.wrong), '0', verdict(r.wrong === 0));
  row(
    'fanout',
    `RSS per idle visitor socket (${FANOUT_VISITORS})`,
    kb(r.rssPerSocket),
    '<= 15 KB',
    verdict(r.rssPerSocket <= 15 * 1024),
  );
}

// ---------------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------------
// 3. Routing store (secondary: two Redis scripts per dialog against BullMQ)

async function storePart(): Promise<void> {
  heading(`routing store: ${STORE_DIALOGS} dialogs x ${STORE_ROUNDS} rounds, ${STORE_CONCURRENCY} callers`);
  const r = await benchRoutingStore(TEST_REDIS_URL, {
    dialogs: STORE_DIALOGS,
    rounds: STORE_ROUNDS,
    concurrency: STORE_CONCURRENCY,
  });
  printRoutingStoreTable(r);
  const f = (n: number | undefined) => (n ?? 0).toFixed(0);
  row('store', 'routed dialogs/s, arrival path', f(r.arrivalCyclesPerSec));
  row('store', 'routed dialogs/s, from queue', f(r.stepsCyclesPerSec));
  row('store', 'BullMQ jobs/s', f(r.bullmqJobsPerSec));
  row('store', 'EVALSHA `return 1` calls/s (ceiling)', f(r.evalshaPerSec));
  for (const [path, label] of STORE_PATHS) {
    const vsBull = r[`${path}ToBullmq`] ?? 0;
    const vsEval = r[`${path}ToEvalsha`] ?? 0;
    row('store', `store / BullMQ (${label})`, `${vsBull.toFixed(2)}x`, '>= 2x', verdict(vsBull >= 2));
    row(
      'store',
      `store / EVALSHA (${label})`,
      `${(vsEval * 100).toFixed(0)}%`,
      '>= 30%',
      verdict(vsEval >= 0.3),
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// 4. Cluster: engine processes on Postgres + Redis under the closed-loop multi-node driver

async function clusterRow(nodeCount: number): Promise<void> {
  const schema = freshSchema();
  const prefix = `hlbench-${schema}`;
  const dir = mkdtempSync(join(tmpdir(), 'hotline-bench-'));
  const nodes: EngineProcess[] = [];
  const redis = await testRedis();
  try {
    const setup = await prepareLoad({
      dir,
      databaseUrl: TEST_DATABASE_URL,
      schema,
      operators: CLUSTER_OPERATORS,
      groups: CLUSTER_GROUPS,
      seed: SEED,
    });
    const env = clusterEnv({
      databaseUrl: TEST_DATABASE_URL,
      schema,
      redisUrl: TEST_REDIS_URL,
      prefix,
      configPath: setup.configPath,
    });
    nodes.push(
      ...(await startCluster(
        env,
        Array.from({ length: nodeCount }, (_, i) => `bench-${i}`),
      )),
    );
    const loadBefore = load();
    const stats = await runLoad({
      urls: nodes.map((n) => n.url),
      setup,
      dialogs: CLUSTER_DIALOGS,
      concurrency: CLUSTER_CONCURRENCY,
      seed: SEED,
      measureMessages: true,
    });
    const perSecond = (stats.started / stats.elapsedMs) * 1000;
    const label = `${nodeCount} node${nodeCount === 1 ? '' : 's'}`;
    const msgP50 = percentile(stats.messageLatencies, 50);
    const msgP99 = percentile(stats.messageLatencies, 99);
    const asgP50 = percentile(stats.assignLatencies, 50);
    const asgP99 = percentile(stats.assignLatencies, 99);
    console.log(
      `${label}: ${stats.started} dialogs started (${stats.startFailures} start failures) in ${(stats.elapsedMs / 1000).toFixed(1)} s` +
        ` = ${perSecond.toFixed(1)} dialogs/s; ${stats.closes} closes, ${stats.transfers} transfers,` +
        ` ${stats.presenceFlips} presence flips, ${stats.rejected} refused (stale client view)\n` +
        `  message → operator socket: p50 ${ms(msgP50)}, p99 ${ms(msgP99)} (${stats.messageLatencies.length} samples)\n` +
        `  start → dialog:assigned:   p50 ${ms(asgP50)}, p99 ${ms(asgP99)} (${stats.assignLatencies.length} samples)\n` +
        `  load average before / after: ${loadBefore} / ${load()}`,
    );
    row(`cluster ${label}`, 'dialogs/s (Postgres-persisted)', perSecond.toFixed(1));
    row(`cluster ${label}`, 'message → operator p50 / p99', `${ms(msgP50)} / ${ms(msgP99)}`);
    row(`cluster ${label}`, 'start → assigned p50 / p99', `${ms(asgP50)} / ${ms(asgP99)}`);
    if (stats.startFailures > 0) row(`cluster ${label}`, 'start failures', String(stats.startFailures));
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await deleteKeys(redis, `${prefix}*`).catch(() => undefined);
    redis.disconnect();
    await dropSchema(schema).catch((error: unknown) =>
      console.warn(`could not drop schema ${schema}: ${(error as Error).message}`),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

async function clusterPart(): Promise<void> {
  heading(
    `cluster: ${CLUSTER_OPERATORS} operators, ${CLUSTER_DIALOGS} dialogs, ${CLUSTER_CONCURRENCY} driver workers, nodes ${CLUSTER_NODES.join(' then ')}`,
  );
  // Each driver worker pauses 300 ms between a dialog's start and its second message, so the
  // workers cap the start rate whatever the engine could take; print that cap beside the figure.
  console.log(
    `(closed loop: ${CLUSTER_CONCURRENCY} workers, 60% of their actions start a dialog and each start waits 300 ms` +
      ` before its second message, so the driver alone caps starts near ${((CLUSTER_CONCURRENCY / 0.3) * 1).toFixed(0)}/s)`,
  );
  for (const count of CLUSTER_NODES) {
    try {
      await clusterRow(count);
    } catch (error) {
      failures.push(`cluster ${count} node(s): ${(error as Error).message.split('\n')[0]}`);
      console.error(error);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// 5. Widget size

const WIDGET_TARGETS: Record<string, number> = {
  'widget.js': 45 * 1024,
  'prebuilt socket.io': 45 * 1024,
  'without socket.io': 25 * 1024,
};

async function widgetPart(): Promise<void> {
  heading('widget size (minified, gzip -9)');
  const rows = await measureWidget();
  for (const r of rows) {
    const target = WIDGET_TARGETS[r.variant];
    const mark = target === undefined ? '' : `  target < ${kb(target)} gz  ${verdict(r.gzip < target)}`;
    console.log(
      `${r.variant.padEnd(20)} ${kb(r.raw).padStart(9)} raw ${kb(r.gzip).padStart(9)} gzipped${mark}`,
    );
    row(
      'widget',
      r.variant,
      `${kb(r.raw)} raw / ${kb(r.gzip)} gz`,
      target === undefined ? '' : `< ${kb(target)} gz`,
      target === undefined ? '' : verdict(r.gzip < target),
    );
  }
  if (!rows.some((r) => r.variant === 'widget.js'))
    throw new Error('the shipped widget.js variant did not build');
}

// ---------------------------------------------------------------------------------------------------
// 6. Uploads

const UPLOAD_VISITORS = num('BENCH_UPLOAD_VISITORS', 20);
const UPLOAD_MB = num('BENCH_UPLOAD_MB', 20);

async function uploadsPart(): Promise<void> {
  heading(
    `uploads: ${UPLOAD_VISITORS} visitors x ${UPLOAD_MB} MB at once, one engine (embedded, disk store)`,
  );
  const routing = new URL('../engine/test/fixtures/routing-attachments.yaml', import.meta.url).pathname;
  const server = await startTestServer('embedded', { routingConfigPath: routing });
  try {
    const result = await runUploadLoad(server.url, {
      visitors: UPLOAD_VISITORS,
      mbEach: UPLOAD_MB,
      siteId: 'bigfiles',
    });
    const total = UPLOAD_VISITORS * UPLOAD_MB;
    console.log(
      `${total} MB in ${result.seconds.toFixed(1)} s: ${result.mbPerSecond.toFixed(1)} MB/s; peak RSS growth ${result.peakRssGrowthMb.toFixed(1)} MB (engine and clients, ${result.samples} samples)`,
    );
    row('uploads', 'throughput', `${result.mbPerSecond.toFixed(1)} MB/s`);
    const flat = result.peakRssGrowthMb < total / 4;
    row(
      'uploads',
      'peak RSS growth',
      `${result.peakRssGrowthMb.toFixed(1)} MB`,
      `< ${total / 4} MB (a quarter of what is sent)`,
      verdict(flat),
    );
  } finally {
    closeAllSockets();
    await server.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------------

function printSummary(): void {
  heading('summary');
  const header: SummaryRow = {
    part: 'part',
    measure: 'measure',
    value: 'value',
    target: 'target',
    verdict: '',
  };
  const keys = ['part', 'measure', 'value', 'target', 'verdict'] as const;
  const all = [header, ...summary];
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: SummaryRow) =>
    keys
      .map((k, i) => (k === 'value' ? r[k].padStart(widths[i]!) : r[k].padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of summary) console.log(line(r));
  console.log(
    `\nmachine: ${cpus().length} CPUs, load average now ${load()} (1/5/15 min); node ${process.version}`,
  );
  console.log('timings are printed, never asserted; see docs/bench.md for how to read them');
  if (headline) console.log(`\n${headline}`);
  for (const failure of failures) console.log(`FAILED: ${failure}`);
}

// An engine stopped by a part's cleanup may still have a push in flight on a closed Redis connection:
// report it, do not let it end the other parts.
process.on('unhandledRejection', (reason) => {
  console.warn(`unhandled rejection: ${(reason as Error)?.message ?? String(reason)}`);
});

async function main(): Promise<void> {
  console.log(
    `hotline bench: parts ${only.join(', ')}; ${cpus().length} CPUs, load average ${load()}; node ${process.version}\n` +
      `Redis ${TEST_REDIS_URL}, Postgres ${TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//…@')}`,
  );
  const parts: [Part, () => Promise<void>][] = [
    ['e2e', e2ePart],
    ['fanout', fanoutPart],
    ['store', storePart],
    ['cluster', clusterPart],
    ['widget', widgetPart],
    ['uploads', uploadsPart],
  ];
  for (const [name, run] of parts) {
    if (!wanted(name)) {
      row(name, '(skipped by BENCH_ONLY)', '');
      continue;
    }
    const started = performance.now();
    try {
      await run();
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
      console.error(error);
    }
    console.log(`(${name} took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  printSummary();
  process.exit(failures.length > 0 ? 1 : 0);
}

await main();
