/**
 * End to end against a baseline: the engine (one node, Postgres + Redis) and the minimal socket.io +
 * Postgres server (bench/minimal-server.ts) under the same open-loop driver (bench/open-loop.ts) at
 * stepped arrival rates, each on the bench's own Postgres and Redis (bench/private-backends.ts) so
 * the CPU and the statement and command counts are the measured server's alone.
 * A step passes with p99 start → assigned < 100 ms and no errors (a visitor message that does not reach
 * the holder is one); a failing step is run once more and the repeat decides (one outlier does not
 * stop a target); the sustained rate is the highest passing step; the stepping stops after two rates
 * in a row failed. With a baseline ref, the engine of that commit runs too, between the two (bench/baseline-tree.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'socket.io-client';
import { clusterEnv, freePort, startEngineProcess } from '../engine/test/support/engine-process';
import { type LoadSetup, loginToken, prepareLoad } from '../engine/test/multinode/load-driver';
import { freshSchema } from '../engine/test/support/postgres';
import { type BaselineTree, checkoutBaseline } from './baseline-tree';
import { type DriverTarget, OpenLoopDriver, type StepResult, socketTo } from './open-loop';
import {
  NESTED,
  type PrivateBackends,
  processCpuMs,
  type StatementCalls,
  startPrivateBackends,
} from './private-backends';

const root = fileURLToPath(new URL('..', import.meta.url));
export const P99_LIMIT_MS = 100;

export interface E2eOptions {
  rates: number[];
  stepSeconds: number;
  operators: number;
  visitors: number;
  seed: number;
  /** A directory for the engine's --cpu-prof output; none: no profile. */
  profileDir?: string;
  /** Keep stepping past failing steps up to this rate (a profile wants load, not just the first step). */
  stepThroughRate?: number;
  /** A commit whose engine runs too, as "engine before" (this tree's is then "engine after"). */
  baselineRef?: string;
  /** How many of the most frequent statements per dialog are printed for the lowest step. */
  topStatements: number;
}

export interface StepCosts extends StepResult {
  nodeCpuMsPerDialog: number;
  postgresCpuMsPerDialog: number;
  redisCpuMsPerDialog: number;
  statementsPerDialog: number;
  redisCommandsPerDialog: number;
  /** The most frequent Redis commands per dialog, e.g. `evalsha 12.0, hget 8.0`. */
  topRedisCommandsPerDialog: string;
  /**
   * The most frequent statements per dialog: the normalised text, shortened, calls per dialog, and
   * Postgres's planning and execution ms per dialog (execution includes its nested statements).
   */
  topStatementsPerDialog: StatementCalls[];
  /** Postgres's planning and execution ms per dialog, top-level statements only (nested ones are inside). */
  planMsPerDialog: number;
  execMsPerDialog: number;
  /** Of statementsPerDialog, those run inside another statement (foreign key checks). */
  nestedStatementsPerDialog: number;
  load: string;
  passed: boolean;
  /** The failed first attempt at this rate, when this step is its repeat (the repeat decides). */
  first?: StepCosts;
}

export interface TargetRun {
  name: string;
  steps: StepCosts[];
  /** Highest passing rate, 0 when none passed. */
  sustained: number;
  /** Background work with nobody starting dialogs: what the per-dialog counts carry at low rates. */
  idleStatementsPerSecond: number;
  idleRedisCommandsPerSecond: number;
}

export interface E2eRuns {
  minimal: TargetRun;
  /** This tree's engine. */
  engine: TargetRun;
  /** The baseline commit's engine, with a baseline ref. */
  before?: TargetRun & { ref: string; short: string };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function ack(socket: Socket, event: string, payload: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    socket
      .timeout(10_000)
      .emit(event, payload, (err: Error | null, reply: { error?: { message: string } }) =>
        err || reply.error ? reject(err ?? new Error(reply.error?.message)) : resolve(),
      ),
  );
}

/** What the server and the backends used over a span: CPU ms, statements and Redis commands. */
interface Usage {
  nodeCpuMs: number;
  postgresCpuMs: number;
  redisCpuMs: number;
  statements: number;
  redisCommands: number;
  /** The most frequent Redis commands by name. */
  topRedisCommands: [string, number][];
  /** Statements by normalised text, most frequent first. */
  statementCalls: StatementCalls[];
}

/** How much of each statement's text is printed. */
const STATEMENT_TEXT = 110;
const oneLine = (sql: string) => {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > STATEMENT_TEXT ? `${flat.slice(0, STATEMENT_TEXT - 1)}…` : flat;
};

async function redisUsage(backends: PrivateBackends) {
  const byName = [...(await backends.redisCommands())].sort((a, b) => b[1] - a[1]);
  return {
    redisCommands: byName.reduce((sum, [, calls]) => sum + calls, 0),
    topRedisCommands: byName.slice(0, 4),
  };
}

/** Resets the counters, runs `span`, and returns its result with what was used meanwhile. */
async function measured<T>(
  pid: number,
  backends: PrivateBackends,
  span: () => Promise<T>,
): Promise<[T, Usage]> {
  await backends.resetCounters();
  const node = processCpuMs(pid);
  const pg = backends.postgresCpuMs();
  const redis = await backends.redisCpuMs();
  const result = await span();
  return [
    result,
    {
      nodeCpuMs: processCpuMs(pid) - node,
      postgresCpuMs: backends.postgresCpuMs() - pg,
      redisCpuMs: (await backends.redisCpuMs()) - redis,
      statements: await backends.statements(),
      statementCalls: await backends.statementCalls(),
      ...(await redisUsage(backends)),
    },
  ];
}

/**
 * Idle seconds measured before the steps: the background work that low rates share out per dialog.
 * Two of the engine's reconcile passes (every 5 s), its slowest loop that touches Postgres.
 */
const IDLE_SECONDS = 10;
/** The idle statements printed under the idle line, most frequent first. */
const IDLE_TOP_STATEMENTS = 6;

/** The sum of a figure (2: planning ms, 3: execution ms) over the statements the clients sent. */
const topLevel = (calls: StatementCalls[], figure: 2 | 3) =>
  calls.reduce((sum, call) => sum + (call[0].startsWith(NESTED) ? 0 : call[figure]), 0);

/** A step's result with what it used, per dialog; `first` is the failed attempt this one repeats. */
function stepCosts(result: StepResult, used: Usage, topStatements: number, first?: StepCosts): StepCosts {
  const per = (n: number) => (result.assigned > 0 ? n / result.assigned : Number.NaN);
  return {
    ...result,
    nodeCpuMsPerDialog: per(used.nodeCpuMs),
    postgresCpuMsPerDialog: per(used.postgresCpuMs),
    redisCpuMsPerDialog: per(used.redisCpuMs),
    statementsPerDialog: per(used.statements),
    redisCommandsPerDialog: per(used.redisCommands),
    topRedisCommandsPerDialog: used.topRedisCommands.map(([name, n]) => `${name} ${f1(per(n))}`).join(', '),
    topStatementsPerDialog: used.statementCalls
      .slice(0, topStatements)
      .map(([sql, n, plan, exec]) => [oneLine(sql), per(n), per(plan), per(exec)]),
    planMsPerDialog: per(topLevel(used.statementCalls, 2)),
    execMsPerDialog: per(topLevel(used.statementCalls, 3)),
    nestedStatementsPerDialog: per(
      used.statementCalls.reduce((sum, [sql, n]) => sum + (sql.startsWith(NESTED) ? n : 0), 0),
    ),
    load: load(),
    passed: result.errors === 0 && result.p99 < P99_LIMIT_MS,
    first,
  };
}

/** The stepped rates against one running server whose process is `pid`. */
async function stepThrough(
  name: string,
  pid: number,
  target: DriverTarget,
  backends: PrivateBackends,
  options: E2eOptions,
): Promise<TargetRun> {
  const driver = new OpenLoopDriver(target);
  const steps: StepCosts[] = [];
  let idle: Usage | undefined;
  try {
    await driver.connect(options.operators, options.visitors);
    [, idle] = await measured(pid, backends, () => sleep(IDLE_SECONDS * 1000));
    const perSecond = (n: number) => f2(n / IDLE_SECONDS);
    console.log(
      `${name.padEnd(15)} idle, connected (${IDLE_SECONDS} s): per second node ${perSecond(idle.nodeCpuMs)} ms,` +
        ` postgres ${perSecond(idle.postgresCpuMs)} ms, redis ${perSecond(idle.redisCpuMs)} ms CPU,` +
        ` ${perSecond(idle.statements)} statements, ${perSecond(idle.redisCommands)} Redis commands`,
    );
    for (const [sql, n] of idle.statementCalls.slice(0, IDLE_TOP_STATEMENTS))
      console.log(`    ${perSecond(n).padStart(6)}/s  ${oneLine(sql)}`);
    // One outlier must not decide a step: a failing step runs once more, and the repeat decides.
    const attempt = async (rate: number, first?: StepCosts) => {
      const [result, used] = await measured(pid, backends, () => driver.step(rate, options.stepSeconds));
      const step = stepCosts(result, used, options.topStatements, first);
      printStep(name, step);
      return step;
    };
    // A rate that failed twice may still be a stall of the shared machine (seen: the minimal server
    // failing 40/s twice, then passing every rate to 480/s in the next run): the stepping goes on
    // and stops only after two rates in a row failed (for a profile, not before its last rate).
    let failedInARow = 0;
    for (const rate of options.rates) {
      const first = await attempt(rate);
      const step = first.passed ? first : await attempt(rate, first);
      steps.push(step);
      failedInARow = step.passed ? 0 : failedInARow + 1;
      if (failedInARow >= 2 && rate >= (options.stepThroughRate ?? 0)) break;
    }
  } finally {
    driver.close();
  }
  const passing = steps.filter((s) => s.passed).map((s) => s.rate);
  return {
    name,
    steps,
    sustained: passing.length > 0 ? Math.max(...passing) : 0,
    idleRedisCommandsPerSecond: (idle?.redisCommands ?? Number.NaN) / IDLE_SECONDS,
    idleStatementsPerSecond: (idle?.statements ?? Number.NaN) / IDLE_SECONDS,
  };
}

const f1 = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(1));
const f2 = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(2));

function printStep(name: string, s: StepCosts) {
  console.log(
    `${name.padEnd(15)} ${String(s.rate).padStart(4)}/s x ${s.seconds}s${s.first ? ' (repeat)' : ''}: ${s.assigned}/${s.arrivals} assigned, ${s.errors} errors,` +
      ` start→assigned p50 ${f1(s.p50)} p99 ${f1(s.p99)} ms ${s.passed ? 'PASS' : 'FAIL'};` +
      ` message→operator p50 ${f1(s.messageP50)} p99 ${f1(s.messageP99)} ms (${s.delivered});` +
      ` per dialog: node ${f1(s.nodeCpuMsPerDialog)} ms, postgres ${f1(s.postgresCpuMsPerDialog)} ms,` +
      ` redis ${f1(s.redisCpuMsPerDialog)} ms CPU, ${f1(s.statementsPerDialog)} statements, ${f1(s.redisCommandsPerDialog)} Redis commands;` +
      ` load ${s.load}${s.errorSamples.length > 0 ? `\n    errors: ${s.errorSamples.join(' | ')}` : ''}`,
  );
}

async function minimalRun(
  backends: PrivateBackends,
  setup: LoadSetup,
  options: E2eOptions,
): Promise<TargetRun> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/minimal-server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: backends.databaseUrl, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`minimal server exited with ${code}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    return await stepThrough(
      'minimal server',
      child.pid!,
      {
        groupId: setup.staffed[0]!,
        connectOperator: (i) =>
          socketTo(url, 'operator', {
            operatorId: setup.operators[i]!.email,
            limit: setup.operators[i]!.limit,
          }),
        connectVisitor: () => socketTo(url, 'visitor', { siteId: 'demo' }),
      },
      backends,
      options,
    );
  } finally {
    child.kill('SIGTERM');
  }
}

/** One engine process: this tree's, or (`cwd`) a baseline commit's. */
async function engineRun(
  name: string,
  backends: PrivateBackends,
  setup: LoadSetup,
  schema: string,
  options: E2eOptions,
  cwd?: string,
): Promise<TargetRun> {
  const env = clusterEnv({
    databaseUrl: backends.databaseUrl,
    schema,
    redisUrl: backends.redisUrl,
    prefix: `hlbench-${schema}`,
    configPath: setup.configPath,
  });
  const profileArgs = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const node = await startEngineProcess({ ...env, NODE_ID: 'bench-e2e' }, undefined, profileArgs, cwd);
  try {
    return await stepThrough(
      name,
      node.child.pid!,
      {
        groupId: setup.staffed[0]!,
        async connectOperator(i) {
          const socket = await socketTo(node.url, 'operator', {
            token: await loginToken(node.url, setup.operators[i]!.email),
          });
          await ack(socket, 'presence:set', { status: 'online' });
          return socket;
        },
        connectVisitor: () => socketTo(node.url, 'visitor', { siteId: 'demo' }),
      },
      backends,
      options,
    );
  } finally {
    await node.stop();
  }
}

const NODE_ITSELF = 'node internals, GC, native';

/** Where a profile frame belongs: a package, the engine's own code, or Node itself. */
function owner(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/(engine|routing-rules|client)\/src\//.exec(url)?.[1];
  if (own) return `${own} (own code)`;
  return url.startsWith('node:') || url === '' ? NODE_ITSELF : url;
}

/** The one .cpuprofile that node --cpu-prof wrote in `dir`, if any. */
export function profileFile(dir: string): string | undefined {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  return file && join(dir, file);
}

/**
 * The engine's CPU profile (one .cpuprofile in `dir`), idle time left out: the top functions by
 * self time, self time summed per package (what the time is spent in, whoever called it), and self
 * time summed per calling package (Node's own frames counted for the package that called them).
 */
export function topCosts(dir: string, count = 15) {
  const file = profileFile(dir);
  if (!file) return { functions: [], packages: [], callers: [] };
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: {
      id: number;
      callFrame: { functionName: string; url: string; lineNumber: number };
      children?: number[];
    }[];
    samples: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const callers = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    total += 1;
    // Node's own frames (a socket write, a buffer copy) count for the nearest package that called them.
    let caller: number | undefined = id;
    while (caller !== undefined && owner(byId.get(caller)?.callFrame.url ?? '') === NODE_ITSELF)
      caller = parentOf.get(caller);
    const by = caller === undefined ? NODE_ITSELF : owner(byId.get(caller)?.callFrame.url ?? '');
    callers.set(by, (callers.get(by) ?? 0) + 1);
    const where = frame.url
      .replace(/^.*node_modules\//, '')
      .replace(/^file:\/\/.*?\/(engine|routing-rules|client)\//, '$1/');
    const key =
      `${frame.functionName || '(anonymous)'} ${where ? `${where}:${frame.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + 1);
    const pkg = owner(frame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + 1);
  }
  const top = (counts: Map<string, number>) =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, n]) => ({ name, percent: (n / Math.max(1, total)) * 100 }));
  return { functions: top(self), packages: top(packages), callers: top(callers) };
}

/** The baseline commit's engine on its own schema of the same backends (no profile: this tree's only). */
async function baselineRun(
  baseline: BaselineTree,
  backends: PrivateBackends,
  dir: string,
  options: E2eOptions,
): Promise<NonNullable<E2eRuns['before']>> {
  const schema = freshSchema();
  const own = join(dir, 'baseline');
  mkdirSync(own);
  const setup = await baseline.prepareLoad({
    dir: own,
    databaseUrl: backends.databaseUrl,
    schema,
    operators: options.operators,
    seed: options.seed,
  });
  const run = await engineRun(
    'engine before',
    backends,
    setup,
    schema,
    { ...options, profileDir: undefined, stepThroughRate: 0 },
    baseline.dir,
  );
  return { ...run, ref: baseline.ref, short: baseline.short };
}

/**
 * Every target on fresh private backends, one after another: the minimal server, the baseline
 * commit's engine when asked, then this tree's engine.
 */
export async function runE2e(options: E2eOptions): Promise<E2eRuns> {
  let baseline: BaselineTree | undefined;
  if (options.baselineRef) {
    const started = performance.now();
    baseline = await checkoutBaseline(options.baselineRef);
    console.log(
      `baseline ${baseline.ref} = ${baseline.short}: worktree ${baseline.dir}, npm ci done in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'hotline-bench-e2e-'));
  try {
    const backends = await startPrivateBackends();
    try {
      const schema = freshSchema();
      const setup = await prepareLoad({
        dir,
        databaseUrl: backends.databaseUrl,
        schema,
        operators: options.operators,
        groups: 1,
        seed: options.seed,
      });
      const minimal = await minimalRun(backends, setup, { ...options, stepThroughRate: 0 });
      const before = baseline ? await baselineRun(baseline, backends, dir, options) : undefined;
      const engine = await engineRun(
        before ? 'engine after' : 'engine (1 node)',
        backends,
        setup,
        schema,
        options,
      );
      return before ? { minimal, engine, before } : { minimal, engine };
    } finally {
      await backends.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    baseline?.remove();
  }
}

const cell = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(0));

/**
 * The runs side by side, one line per rate: p99 start → assigned / message → operator (ms) and
 * PASS/FAIL for each; a dash where a run had stopped before that rate. Then the per-dialog costs at
 * each run's lowest step.
 */
export function sideBySide(runs: TargetRun[]): string[] {
  // Wide enough for a repeated step: `(376 FAIL) 444 / 287 FAIL` and a gap.
  const width = 28;
  const rates = [...new Set(runs.flatMap((r) => r.steps.map((s) => s.rate)))].sort((a, b) => a - b);
  const line = (label: string, cells: string[]) =>
    `${label.padEnd(22)}${cells.map((c) => c.padStart(width)).join('')}`;
  const lines = [
    line(
      '',
      runs.map((r) => r.name),
    ),
  ];
  lines.push(line('p99 ms: start→assigned / message→operator', []));
  for (const rate of rates)
    lines.push(
      line(
        `${rate}/s`,
        runs.map((r) => {
          const s = r.steps.find((x) => x.rate === rate);
          if (!s) return '—';
          const verdict = `${cell(s.p99)} / ${cell(s.messageP99)} ${s.passed ? 'PASS' : 'FAIL'}`;
          // A repeated step shows its first attempt's p99 start → assigned first.
          return s.first ? `(${cell(s.first.p99)} FAIL) ${verdict}` : verdict;
        }),
      ),
    );
  lines.push(
    line(
      'sustained dialogs/s',
      runs.map((r) => String(r.sustained)),
    ),
  );
  const first = (r: TargetRun, f: (s: StepCosts) => string) => (r.steps[0] ? f(r.steps[0]) : 'n/a');
  lines.push(
    line(
      'at the lowest step:',
      runs.map((r) => first(r, (s) => `${s.rate}/s`)),
    ),
    line(
      '  CPU ms node/pg/redis',
      runs.map((r) =>
        first(
          r,
          (s) =>
            `${f1(s.nodeCpuMsPerDialog)} / ${f1(s.postgresCpuMsPerDialog)} / ${f1(s.redisCpuMsPerDialog)}`,
        ),
      ),
    ),
    line(
      '  statements / commands',
      runs.map((r) => first(r, (s) => `${f1(s.statementsPerDialog)} / ${f1(s.redisCommandsPerDialog)}`)),
    ),
    line(
      'idle, per second:',
      runs.map((r) => `${f2(r.idleStatementsPerSecond)} / ${f1(r.idleRedisCommandsPerSecond)}`),
    ),
  );
  lines.push(
    'Redis commands per dialog at the lowest step, the most frequent (scripts count what they run):',
  );
  for (const r of runs) lines.push(`  ${r.name}: ${first(r, (s) => s.topRedisCommandsPerDialog || 'none')}`);
  lines.push(
    'Postgres statements per dialog at the lowest step, the most frequent (pg_stat_statements, track=all;' +
      ` ${NESTED} run inside another statement: a foreign key's check), with calls and Postgres's` +
      ' planning / execution ms per dialog (track_planning; execution includes the nested statements):',
  );
  for (const r of runs) {
    lines.push(
      `  ${r.name}: ${first(r, (s) => `${f1(s.statementsPerDialog)}, of which nested ${f1(s.nestedStatementsPerDialog)}; plan / exec ms ${f2(s.planMsPerDialog)} / ${f2(s.execMsPerDialog)}`)}`,
    );
    for (const [sql, n, plan, exec] of r.steps[0]?.topStatementsPerDialog ?? [])
      lines.push(`    ${f1(n).padStart(6)} ${f2(plan).padStart(6)} ${f2(exec).padStart(6)}  ${sql}`);
  }
  return lines;
}
