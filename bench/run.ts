/**
 * `npm run bench`: every benchmark of the project, one after another in this process, then a summary.
 *   store  — Redis routing store vs BullMQ vs raw EVALSHA (bench/routing-store.ts)
 *   e2e    — real engine processes (1, then 3) on Postgres + Redis under the multi-node load driver
 *   widget — the widget bundle's raw and gzipped size (widget/bench/size.ts)
 *   uploads — 20 visitors upload 20 MB each at once through one engine: MB/s and peak RSS growth
 * Figures are printed, never asserted: the exit code is non-zero only when a part could not run.
 * Environment knobs are listed in docs/bench.md (BENCH_ONLY=store,e2e,widget picks parts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureWidget } from '../widget/bench/size';
import { clusterEnv, type EngineProcess, startCluster } from '../engine/test/support/engine-process';
import { percentile, prepareLoad, runLoad } from '../engine/test/multinode/load-driver';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../engine/test/support/postgres';
import { deleteKeys, TEST_REDIS_URL, testRedis } from '../engine/test/support/redis';
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

const PARTS = ['store', 'e2e', 'widget', 'uploads'] as const;
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
const E2E_OPERATORS = num('BENCH_E2E_OPERATORS', 60);
const E2E_DIALOGS = num('BENCH_E2E_DIALOGS', 600);
const E2E_GROUPS = num('BENCH_E2E_GROUPS', 5);
const E2E_CONCURRENCY = num('BENCH_E2E_CONCURRENCY', 16);
const E2E_NODES = (env.BENCH_E2E_NODES ?? '1,3').split(',').map((n) => {
  const count = Number(n.trim());
  if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_E2E_NODES: bad node count "${n}"`);
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
// 1. Routing store

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
// 2. End to end: engine processes on Postgres + Redis

async function e2eRow(nodeCount: number): Promise<void> {
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
      operators: E2E_OPERATORS,
      groups: E2E_GROUPS,
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
      dialogs: E2E_DIALOGS,
      concurrency: E2E_CONCURRENCY,
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
    row(`e2e ${label}`, 'dialogs/s (Postgres-persisted)', perSecond.toFixed(1));
    row(`e2e ${label}`, 'message → operator p50 / p99', `${ms(msgP50)} / ${ms(msgP99)}`);
    row(`e2e ${label}`, 'start → assigned p50 / p99', `${ms(asgP50)} / ${ms(asgP99)}`);
    if (stats.startFailures > 0) row(`e2e ${label}`, 'start failures', String(stats.startFailures));
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

async function e2ePart(): Promise<void> {
  heading(
    `end to end: ${E2E_OPERATORS} operators, ${E2E_DIALOGS} dialogs, ${E2E_CONCURRENCY} driver workers, nodes ${E2E_NODES.join(' then ')}`,
  );
  // Each driver worker pauses 300 ms between a dialog's start and its second message, so the
  // workers cap the start rate whatever the engine could take; print that cap beside the figure.
  console.log(
    `(closed loop: ${E2E_CONCURRENCY} workers, 60% of their actions start a dialog and each start waits 300 ms` +
      ` before its second message, so the driver alone caps starts near ${((E2E_CONCURRENCY / 0.3) * 1).toFixed(0)}/s)`,
  );
  for (const count of E2E_NODES) {
    try {
      await e2eRow(count);
    } catch (error) {
      failures.push(`e2e ${count} node(s): ${(error as Error).message.split('\n')[0]}`);
      console.error(error);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// 3. Widget size

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
// 4. Uploads

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
  for (const failure of failures) console.log(`FAILED: ${failure}`);
}

async function main(): Promise<void> {
  console.log(
    `hotline bench: parts ${only.join(', ')}; ${cpus().length} CPUs, load average ${load()}; node ${process.version}\n` +
      `Redis ${TEST_REDIS_URL}, Postgres ${TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//…@')}`,
  );
  const parts: [Part, () => Promise<void>][] = [
    ['store', storePart],
    ['e2e', e2ePart],
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
