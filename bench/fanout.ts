/**
 * Queue moves with many waiting visitors on one engine node, and the memory of their idle sockets.
 * The engine runs in this process (its CPU is process.cpuUsage, its memory the RSS), on the shared
 * Postgres and Redis under its own schema and prefix; the visitors run in bench/visitor-swarm.ts.
 * - `moves` real visitors start dialogs first: they are the head of the queue and each move is one
 *   of them closing his dialog, through the engine, so everyone behind moves up;
 * - `visitors` more are written straight into Postgres and the routing store (a start through the
 *   engine costs tens of ms each: 10,000 would take minutes), then connect with their tokens.
 * Measured per move: the engine's CPU from the close to the last visitor whose shown value changed
 * (exact in the first 50, the bound behind: routing-rules/queue-bounds), the time to him, and the
 * pushes; then the spread resync's cost while nothing moves, and every visitor's shown value against
 * the store's positions.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { shownPosition } from '@hotline/routing-rules/queue-bounds';
import { hashToken } from '../engine/src/storage/visitor-repository';
import type { VisitorDialogView } from '@hotline/protocol';
import {
  call,
  chatStart,
  closeAllSockets,
  connectVisitor,
  fillOperator,
  type VisitorSocket,
} from '../engine/test/support/clients';
import { startTestServer, TEST_ROUTING } from '../engine/test/support/engine';
import { topCosts } from './e2e';
import { percentile } from './open-loop';

const GROUP = 'support';
const BASELINE_MOVES = 2;
/** Moves made, not measured, before the measured ones (see the loop). */
const WARM_UP_MOVES = 1;

export interface FanoutResult {
  moves: number;
  cpuMsMean: number;
  cpuMsP50: number;
  lastP50: number;
  lastP99: number;
  wrong: number;
  rssBefore: number;
  rssAfter: number;
  rssPerSocket: number;
  /** Of which the JavaScript heap (the rest: sockets' native buffers, ws, libuv). */
  heapPerSocket: number;
  /** The same close with no visitor connected (median, includes its 300 ms settling). */
  baselineCpuMs: number;
  /** Visitors whose shown value changed, per move (mean), and all pushes in the same windows. */
  changedPerMove: number;
  pushesPerMove: number;
  /** The spread resync while nothing moves: engine CPU and pushes per second. */
  resyncCpuMsPerS: number;
  resyncPushesPerS: number;
  /** Each measured move's engine CPU (ms) and pushes, in order; each no-visitor close's CPU. */
  cpuMsPerMove: number[];
  pushesPerMoveEach: number[];
  baselineEach: number[];
  /** With `profile`: the engine's top self time over the moves, and over the idle window. */
  profile?: ReturnType<typeof topCosts>;
  idleProfile?: ReturnType<typeof topCosts>;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function settledRss(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().rss;
}

type Shown = { position: number; exact: boolean };
type SwarmMessage =
  | { type: 'connected' | 'synced' | 'marked' }
  | { type: 'applied'; at: number }
  | { type: 'counts'; pushes: number; changed: number }
  | { type: 'positions'; positions: Record<string, Shown> };

/** How many of the far visitors (at `first`, `first + 1`, …) see another value when all move up by one. */
function changedByOneUp(first: number, count: number): number {
  let changed = 0;
  for (let p = first; p < first + count; p++) {
    const before = shownPosition(p, null);
    const after = shownPosition(p - 1, null);
    if (before.position !== after.position || before.exact !== after.exact) changed += 1;
  }
  return changed;
}

function waitFor<T extends SwarmMessage>(
  swarm: ChildProcess,
  type: T['type'],
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      swarm.off('message', listener);
      reject(new Error(`the visitor swarm did not report "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const exited = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the visitor swarm exited (${code}) before "${type}"`));
    };
    swarm.once('exit', exited);
    const listener = (message: SwarmMessage) => {
      if (message.type !== type) return;
      clearTimeout(timer);
      swarm.off('message', listener);
      swarm.off('exit', exited);
      resolve(message as T);
    };
    swarm.on('message', listener);
  });
}

/** A head visitor closes his dialog; a busy engine (10,000 first pushes) may take longer than a test's ack timeout. */
async function close(socket: VisitorSocket): Promise<void> {
  const reply = await socket.timeout(120_000).emitWithAck('dialog:close', {});
  if (reply && typeof reply === 'object' && 'error' in reply)
    throw new Error(`close refused: ${reply.error.message}`);
}

/**
 * CPU ms per thread name of this process (Linux: /proc/self/task), to tell the main thread's share of
 * process.cpuUsage from V8's helpers (GC, compiler) and libuv's; empty elsewhere.
 */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  const tick = 10; // USER_HZ 100
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      const name =
        Number(task) === process.pid
          ? 'main'
          : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      for (const [part, field] of [
        ['user', 11],
        ['sys', 12],
      ] as const)
        out.set(`${name} ${part}`, (out.get(`${name} ${part}`) ?? 0) + Number(fields[field]) * tick);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

function threadCpuSince(before: Map<string, number>): string {
  return [...threadCpu()]
    .map(([name, ms]) => [name, ms - (before.get(name) ?? 0)] as const)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name.trim()} ${ms} ms`)
    .join(', ');
}

/**
 * The engine's CPU profile (in this process) from `start` until the returned stop; with `keep`, the
 * profile is also written there (`BENCH_FANOUT_PROFILE_KEEP`, for /work/tools/prof.py or DevTools).
 */
async function profiler(keep?: string): Promise<() => Promise<ReturnType<typeof topCosts>>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    const dir = mkdtempSync(join(tmpdir(), 'hotline-fanout-prof-'));
    try {
      writeFileSync(join(dir, 'fanout.cpuprofile'), JSON.stringify(profile));
      if (keep) writeFileSync(keep, JSON.stringify(profile));
      return topCosts(dir, 25);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

export async function runFanout(options: {
  visitors: number;
  moves: number;
  /** Profile the engine over the moves and the idle window (adds its own overhead to the CPU figures). */
  profile?: boolean;
  /** With `profile`: also write the moves' profile to this file, the idle window's beside it (`-idle`). */
  profileKeep?: string;
}): Promise<FanoutResult> {
  const server = await startTestServer('real', {
    routingConfigPath: TEST_ROUTING,
    RECONCILE_INTERVAL_MS: 600_000,
    LOG_LEVEL: 'silent',
  });
  const file = join(tmpdir(), `hotline-swarm-${randomBytes(4).toString('hex')}.json`);
  let swarm: ChildProcess | undefined;
  try {
    const { engine } = server;
    // Carl, the group's only operator, online and full: every dialog after his three waits.
    await fillOperator(server.url, 'carl@example.com', GROUP, 3);
    const head: VisitorSocket[] = [];
    // The head: one close to read the bulk entries, the no-visitor closes, the warm-up and measured moves.
    for (let i = 0; i < 1 + BASELINE_MOVES + WARM_UP_MOVES + options.moves; i++) {
      const socket = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(socket, 'dialog:start', chatStart(GROUP));
      if (view.state !== 'queued') throw new Error(`a head dialog is ${view.state}, not queued`);
      head.push(socket);
    }
    const far = Array.from({ length: options.visitors }, () => ({
      token: randomBytes(24).toString('hex'),
      dialogId: randomUUID(),
      visitorId: randomUUID(),
    }));
    const db = engine.database.db;
    for (let i = 0; i < far.length; i += 1000) {
      const batch = far.slice(i, i + 1000);
      await db('visitors').insert(
        batch.map((v) => ({ id: v.visitorId, token_hash: hashToken(v.token), site_id: 'demo' })),
      );
      // Only what the queue-position pushes read (the visitor of a dialog); these dialogs never move.
      await db('dialogs').insert(
        batch.map((v) => ({
          id: v.dialogId,
          visitor_id: v.visitorId,
          site_id: 'demo',
          state: 'queued',
          snapshot: '{}',
          group_id: GROUP,
        })),
      );
      const now = Date.now();
      await Promise.all(
        batch.map((v) => engine.store.enqueue({ dialogId: v.dialogId, groupId: GROUP, priority: 0 }, now)),
      );
    }
    writeFileSync(file, JSON.stringify(far.map(({ token, dialogId }) => ({ token, dialogId }))));

    // The 10,000 entered without the flush each start makes: one unmeasured close lets the engine read
    // them (what those flushes would have done), so the closes below measure a close, not that catch-up.
    const warmUp = process.cpuUsage();
    await close(head.shift()!);
    // Its flush reads 10,000 ids and their visitors (ten queries): under load longer than 300 ms.
    await new Promise((r) => setTimeout(r, 1_000));
    const caughtUp = process.cpuUsage(warmUp);
    console.log(
      `the engine's first read of the ${far.length} entered: ${((caughtUp.user + caughtUp.system) / 1000).toFixed(1)} ms CPU (not measured)`,
    );
    // The same move with nobody connected: the close's own cost, without the fan-out.
    const baseline: number[] = [];
    for (const socket of head.splice(0, BASELINE_MOVES)) {
      const cpu = process.cpuUsage();
      await close(socket);
      await new Promise((r) => setTimeout(r, 300)); // the coalesced queue flush follows the close
      const used = process.cpuUsage(cpu);
      baseline.push((used.user + used.system) / 1000);
    }
    const rssBefore = settledRss();
    const heapBefore = process.memoryUsage().heapUsed;
    swarm = fork(new URL('./visitor-swarm.ts', import.meta.url).pathname, [server.url, file, '20'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const connectMs = Math.max(120_000, options.visitors * 60);
    const connectStart = performance.now();
    const synced = waitFor(swarm, 'synced', connectMs + 60_000);
    await waitFor(swarm, 'connected', connectMs);
    console.log(
      `${options.visitors} visitor sockets connected in ${((performance.now() - connectStart) / 1000).toFixed(1)} s`,
    );
    // Each socket is told its value at the flush after it connects.
    await synced;
    await new Promise((r) => setTimeout(r, 500));
    // Each move's expected count, before the moves: computing it between them (10,000 positions twice)
    // leaves garbage whose collection would land in the next move's window.
    const expectations = head.map((_, i) => changedByOneUp(head.length - i + 1, far.length));
    const gcStart = performance.now();
    const rssAfter = settledRss();
    const heapAfter = process.memoryUsage().heapUsed;
    // The forced collections stalled the event loop: the timers due meanwhile (10,000 sockets' pings,
    // a resync tick) run as soon as it is free. Let them run here, not in the first move's window.
    const gcStall = performance.now() - gcStart;
    await new Promise((r) => setTimeout(r, gcStall + 1_000));
    console.log(
      `forced GC for the RSS: the event loop stalled ${gcStall.toFixed(0)} ms (settled before the moves)`,
    );
    const cpuMs: number[] = [];
    const lastMs: number[] = [];
    const changed: number[] = [];
    const pushes: number[] = [];
    const stopProfile = options.profile ? await profiler(options.profileKeep) : undefined;
    const movesThreads = threadCpu();
    // The statements each move sends (the close, the assignment attempt, the flushes in its window).
    let statements: string[] = [];
    const statement = (event: { sql: string }) => statements.push(event.sql);
    db.on('query', statement);
    const statementsPerMove: number[] = [];
    for (const [i, socket] of head.entries()) {
      // The far visitors stand behind the head visitors not closed yet; this close moves them up by one.
      swarm.send({ type: 'mark', expected: expectations[i] });
      await waitFor(swarm, 'marked', 10_000);
      const applied = waitFor<{ type: 'applied'; at: number }>(swarm, 'applied', 30_000);
      statements = [];
      const cpu = process.cpuUsage();
      const t0 = performance.timeOrigin + performance.now();
      await close(socket);
      const { at } = await applied;
      const used = process.cpuUsage(cpu);
      const sent = statements;
      swarm.send({ type: 'counts' });
      const counted = await waitFor<{ type: 'counts'; pushes: number; changed: number }>(
        swarm,
        'counts',
        10_000,
      );
      // The first move after a minute of connecting (many collections, no close) recompiles the close's
      // path, whose bytecode V8 flushed meanwhile: an engine that keeps closing dialogs keeps it.
      if (i < WARM_UP_MOVES) continue;
      statementsPerMove.push(sent.length);
      if (i === head.length - 1 && options.profile)
        console.log(`the last move's Postgres statements:\n  ${sent.join('\n  ')}`);
      cpuMs.push((used.user + used.system) / 1000);
      lastMs.push(at - t0);
      changed.push(counted.changed);
      pushes.push(counted.pushes);
    }
    db.off('query', statement);
    console.log(
      `the moves' CPU by thread: ${threadCpuSince(movesThreads)}; Postgres statements per move: ${statementsPerMove.join(' ')}`,
    );
    // The moves' profile apart from the idle window's: each has its own costs.
    const profile = await stopProfile?.();
    const stopIdleProfile = options.profile
      ? await profiler(options.profileKeep?.replace(/(\.cpuprofile)?$/, '-idle.cpuprofile'))
      : undefined;
    // Nothing moves: what the spread resync costs per second (with the engine's other idle timers).
    const RESYNC_WINDOW_MS = 5_000;
    swarm.send({ type: 'mark' });
    await waitFor(swarm, 'marked', 10_000);
    const idleThreads = threadCpu();
    const idleCpu = process.cpuUsage();
    await new Promise((r) => setTimeout(r, RESYNC_WINDOW_MS));
    const idleUsed = process.cpuUsage(idleCpu);
    console.log(`the idle window's CPU by thread: ${threadCpuSince(idleThreads)}`);
    swarm.send({ type: 'counts' });
    const idle = await waitFor<{ type: 'counts'; pushes: number; changed: number }>(swarm, 'counts', 10_000);
    const idleProfile = await stopIdleProfile?.();
    const queue = await engine.store.queue(GROUP);
    swarm.send({ type: 'positions' });
    const { positions } = await waitFor<{ type: 'positions'; positions: Record<string, Shown> }>(
      swarm,
      'positions',
      30_000,
    );
    const wrong = queue.filter((q) => {
      if (!(q.dialogId in positions)) return false;
      const truth = shownPosition(q.position, null);
      const shown = positions[q.dialogId]!;
      return shown.position !== truth.position || shown.exact !== truth.exact;
    }).length;
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    console.log(
      `per move: ${mean(changed).toFixed(1)} visitors' shown value changed, ${mean(pushes).toFixed(1)} pushes` +
        ` (the resync's included); spread resync while idle: ${(idle.pushes / (RESYNC_WINDOW_MS / 1000)).toFixed(0)} pushes/s,` +
        ` ${((idleUsed.user + idleUsed.system) / 1000 / (RESYNC_WINDOW_MS / 1000)).toFixed(1)} ms engine CPU per s`,
    );
    const idleCpuMsPerS = (idleUsed.user + idleUsed.system) / RESYNC_WINDOW_MS;
    console.log(
      `of each move's CPU, about ${((idleCpuMsPerS * mean(lastMs)) / 1000).toFixed(1)} ms is what the engine spends` +
        ` anyway (the idle rate above over the mean ${mean(lastMs).toFixed(0)} ms from the close to the last visitor)`,
    );
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    return {
      moves: cpuMs.length,
      cpuMsMean: mean(cpuMs),
      cpuMsP50: percentile(sorted(cpuMs), 50),
      lastP50: percentile(sorted(lastMs), 50),
      lastP99: percentile(sorted(lastMs), 99),
      wrong,
      rssBefore,
      rssAfter,
      rssPerSocket: (rssAfter - rssBefore) / options.visitors,
      heapPerSocket: (heapAfter - heapBefore) / options.visitors,
      baselineCpuMs: percentile(sorted(baseline), 50),
      changedPerMove: mean(changed),
      pushesPerMove: mean(pushes),
      resyncCpuMsPerS: idleCpuMsPerS,
      resyncPushesPerS: (idle.pushes / RESYNC_WINDOW_MS) * 1000,
      cpuMsPerMove: cpuMs,
      pushesPerMoveEach: pushes,
      baselineEach: baseline,
      profile,
      idleProfile,
    };
  } catch (error) {
    console.error(`fanout failed: ${(error as Error).message}`);
    throw error;
  } finally {
    swarm?.send({ type: 'close' });
    closeAllSockets();
    await server.cleanup();
    rmSync(file, { force: true });
  }
}
