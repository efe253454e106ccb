/**
 * Routing-store throughput against two yardsticks on the same Redis, same concurrency:
 * - BullMQ add + process + complete (the baseline a job queue gives you);
 * - a trivial `return 1` script via EVALSHA (the ceiling one connection can reach).
 * A routed dialog's store work is measured on the two paths the engine takes (engine/src/dialog/
 * assignment-dispatcher.ts), on a connection with the engine's own options (engine/src/server.ts):
 * - arrival: enqueueAndAssign + release (2 scripts): a dialog that finds an operator with room;
 * - steps: enqueue + assignHead + release (3 scripts): a dialog that waits, taken later from the queue.
 *
 * Run: `node --import tsx bench/routing-store.ts [dialogs]` (TEST_REDIS_URL / REDIS_URL honoured,
 * BENCH_STORE_CONCURRENCY sets the callers for all three; `npm run bench` runs it as part of bench/run.ts).
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisRoutingStore } from '../engine/src/routing-store/redis-routing-store';
import { deleteKeys } from '../engine/test/support/redis';
import type { Assignment } from '../engine/src/routing-store/routing-store';

const DEFAULT_CONCURRENCY = 50;
const OPERATORS = 20;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `count` tasks with `concurrency` callers; returns wall time and each task's latency. */
async function drive(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await task(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

type StorePath = 'arrival' | 'steps';
/** The two store paths, with the label each has in the tables. */
export const STORE_PATHS = [
  ['arrival', 'arrival'],
  ['steps', 'from queue'],
] as const satisfies readonly (readonly [StorePath, string])[];

async function benchStore(
  redis: Redis,
  prefix: string,
  dialogs: number,
  concurrency: number,
  path: StorePath,
) {
  const store = new RedisRoutingStore(redis, { prefix, tenant: 'bench' });
  const operatorIds = Array.from({ length: OPERATORS }, (_, i) => `op${i}`);
  await store.rebuild({
    operators: operatorIds.map((operatorId) => ({
      operatorId,
      status: 'online' as const,
      limit: 1000,
      groups: [{ groupId: 'g', tier: 'primary' as const }],
    })),
    queued: [],
    assigned: [],
    timers: [],
  });
  const opLatencies: number[] = [];
  const timed = async <T>(work: Promise<T>): Promise<T> => {
    const t = performance.now();
    const result = await work;
    opLatencies.push(performance.now() - t);
    return result;
  };
  let unassigned = 0;
  const cycle = async (i: number) => {
    const now = Date.now();
    const dialog = { dialogId: `d${i}`, groupId: 'g', priority: i % 10 };
    // A realistic ranked list: ten operators, rotated so the first pick varies.
    const ranked = Array.from({ length: 10 }, (_, k) => operatorIds[(i + k) % OPERATORS]!);
    let assignment: Assignment | null = null;
    if (path === 'arrival') {
      const arrival = await timed(store.enqueueAndAssign(dialog, ranked, now));
      if (arrival.kind === 'assigned') assignment = arrival.assignment;
    } else {
      await timed(store.enqueue(dialog, now));
      const result = await timed(store.assignHead('g', ranked, now));
      if (result.kind === 'assigned') assignment = result.assignment;
    }
    // Under concurrency another caller's dialog may be the head: it is released by its own cycle.
    if (assignment) await timed(store.release(assignment.dialogId, assignment.operatorId));
    else unassigned += 1;
  };
  await drive(Math.min(2000, dialogs), concurrency, (i) => cycle(dialogs + i)); // warm-up
  opLatencies.length = 0;
  unassigned = 0;
  const run = await drive(dialogs, concurrency, cycle);
  opLatencies.sort((a, b) => a - b);
  const left = (await store.queue('g')).length;
  await deleteKeys(redis, `${prefix}:*`);
  return {
    cyclesPerSec: dialogs / run.seconds,
    scriptsPerSec: opLatencies.length / run.seconds,
    cycleP50: run.p50,
    cycleP99: run.p99,
    opP50: percentile(opLatencies, 50),
    opP99: percentile(opLatencies, 99),
    /** Dialogs whose own cycle assigned nothing (they waited in the queue instead). */
    unassigned,
    /** Still queued at the end (should be 0: 20 operators x limit 1000 never fill up). */
    left,
  };
}

async function benchBullmq(url: string, prefix: string, dialogs: number, concurrency: number) {
  const { hostname, port, password, username, pathname } = new URL(url);
  const connection = {
    host: hostname,
    port: Number(port || 6379),
    ...(password ? { password } : {}),
    ...(username ? { username } : {}),
    db: Number(pathname.slice(1) || 0),
    maxRetriesPerRequest: null,
  };
  const name = `q-${randomUUID().slice(0, 8)}`;
  const queue = new Queue(name, { connection, prefix });
  const addedAt = new Map<string, number>();
  const latencies: number[] = [];
  let done = 0;
  let resolveAll: () => void = () => {};
  let target = 0;
  const allDone = () =>
    new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
  const worker = new Worker(name, async () => {}, { connection, prefix, concurrency });
  worker.on('completed', (job) => {
    const t = addedAt.get(job.id ?? '');
    if (t !== undefined) latencies.push(performance.now() - t);
    done += 1;
    if (done >= target) resolveAll();
  });
  await worker.waitUntilReady();
  const runBatch = async (count: number, offset: number) => {
    done = 0;
    target = count;
    latencies.length = 0;
    const finished = allDone();
    const started = performance.now();
    await drive(count, concurrency, async (i) => {
      const jobId = `j${offset + i}`;
      addedAt.set(jobId, performance.now());
      await queue.add('dialog', { i }, { jobId, removeOnComplete: true });
    });
    await finished;
    return (performance.now() - started) / 1000;
  };
  await runBatch(Math.min(2000, dialogs), dialogs); // warm-up
  const seconds = await runBatch(dialogs, 0);
  latencies.sort((a, b) => a - b);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { jobsPerSec: dialogs / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function benchEvalsha(redis: Redis, calls: number, concurrency: number) {
  redis.defineCommand('hlBenchNoop', { lua: 'return 1', numberOfKeys: 0 });
  const noop = (redis as unknown as Record<string, () => Promise<unknown>>).hlBenchNoop!.bind(redis);
  await drive(Math.min(2000, calls), concurrency, async () => {
    await noop();
  });
  const run = await drive(calls, concurrency, async () => {
    await noop();
  });
  return { callsPerSec: calls / run.seconds, p50: run.p50, p99: run.p99 };
}

/** The connection options engine/src/server.ts gives its routing store. */
const ENGINE_CONNECTION = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false } as const;

/**
 * Measures the Redis routing store against BullMQ and raw EVALSHA on one Redis, with its own key
 * prefix (cleaned up afterwards). Returns the figures by name (medians of interleaved rounds).
 *
 * The store runs on a connection with the engine's options. The EVALSHA ceiling is measured both on
 * such a connection and on one with ioredis auto-pipelining, and the higher rate is the ceiling.
 */
export async function benchRoutingStore(
  redisUrl: string,
  opts: { dialogs: number; rounds?: number; concurrency?: number },
): Promise<Record<string, number>> {
  const prefix = `hlbench-${randomUUID().slice(0, 8)}`;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const engineRedis = new Redis(redisUrl, ENGINE_CONNECTION);
  const pipelined = new Redis(redisUrl, { ...ENGINE_CONNECTION, enableAutoPipelining: true });
  const rounds = opts.rounds ?? 5;
  const samples: Record<string, number>[] = [];
  try {
    // Interleaved rounds, medians reported: a shared machine's noise hits all of them alike.
    for (let round = 0; round < rounds; round += 1) {
      const arrival = await benchStore(
        engineRedis,
        `${prefix}-a${round}`,
        opts.dialogs,
        concurrency,
        'arrival',
      );
      const steps = await benchStore(engineRedis, `${prefix}-s${round}`, opts.dialogs, concurrency, 'steps');
      const bull = await benchBullmq(redisUrl, `${prefix}-bull${round}`, opts.dialogs, concurrency);
      const plainEval = await benchEvalsha(engineRedis, opts.dialogs * 3, concurrency);
      const pipelinedEval = await benchEvalsha(pipelined, opts.dialogs * 3, concurrency);
      const ceiling = plainEval.callsPerSec >= pipelinedEval.callsPerSec ? plainEval : pipelinedEval;
      samples.push({
        ...prefixed('arrival', arrival),
        ...prefixed('steps', steps),
        bullmqJobsPerSec: bull.jobsPerSec,
        bullmqJobP50Ms: bull.p50,
        bullmqJobP99Ms: bull.p99,
        evalshaPlainPerSec: plainEval.callsPerSec,
        evalshaPipelinedPerSec: pipelinedEval.callsPerSec,
        evalshaPerSec: ceiling.callsPerSec,
        evalshaP50Ms: ceiling.p50,
        evalshaP99Ms: ceiling.p99,
        /** Routed dialogs per second vs BullMQ jobs per second (target >= 2). */
        arrivalToBullmq: arrival.cyclesPerSec / bull.jobsPerSec,
        stepsToBullmq: steps.cyclesPerSec / bull.jobsPerSec,
        /** Store script calls per second vs trivial script calls per second (target >= 0.3). */
        arrivalToEvalsha: arrival.scriptsPerSec / ceiling.callsPerSec,
        stepsToEvalsha: steps.scriptsPerSec / ceiling.callsPerSec,
      });
    }
  } finally {
    await deleteKeys(engineRedis, `${prefix}*`);
    engineRedis.disconnect();
    pipelined.disconnect();
  }
  const median = (name: string) => {
    const values = samples.map((s) => s[name] ?? 0).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? 0;
  };
  const result: Record<string, number> = { dialogs: opts.dialogs, concurrency, rounds };
  for (const name of Object.keys(samples[0] ?? {})) result[name] = median(name);
  return result;
}

function prefixed(path: StorePath, figures: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(figures).map(([name, value]) => [
      `${path}${name[0]!.toUpperCase()}${name.slice(1)}`,
      value,
    ]),
  );
}

const storeRow = (r: Record<string, number>, path: StorePath, label: string): string[] => {
  const f = (n: number | undefined, digits = 0) => (n ?? 0).toFixed(digits);
  const at = (name: string) => r[`${path}${name}`];
  return [
    label,
    `${f(at('CyclesPerSec'))} dialogs/s`,
    `${f(at('ScriptsPerSec'))} scripts/s`,
    `${f(at('OpP50'), 2)} / ${f(at('CycleP50'), 2)}`,
    `${f(at('OpP99'), 2)} / ${f(at('CycleP99'), 2)}`,
  ];
};

/** Prints the side-by-side table and the target verdicts. */
export function printRoutingStoreTable(r: Record<string, number>): void {
  const f = (n: number | undefined, digits = 0) => (n ?? 0).toFixed(digits);
  const rows: string[][] = [
    storeRow(r, 'arrival', 'routing store, arrival (enqueueAndAssign+release)'),
    storeRow(r, 'steps', 'routing store, from queue (enqueue+assignHead+release)'),
    [
      'BullMQ add+process+complete (baseline)',
      `${f(r.bullmqJobsPerSec)} jobs/s`,
      '',
      f(r.bullmqJobP50Ms, 2),
      f(r.bullmqJobP99Ms, 2),
    ],
    [
      'EVALSHA `return 1` (ceiling)',
      '',
      `${f(r.evalshaPerSec)} calls/s`,
      f(r.evalshaP50Ms, 2),
      f(r.evalshaP99Ms, 2),
    ],
  ];
  const header = ['', 'throughput', 'script calls', 'p50 ms', 'p99 ms'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  console.log(
    `\n${r.dialogs} dialogs/jobs per round, ${r.concurrency} concurrent callers, one Redis; medians of ${r.rounds} interleaved rounds\n`,
  );
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
  console.log('\n(store p50/p99: per script call / per whole cycle; BullMQ: add to completed)');
  console.log(
    `(ceiling: each round the higher of EVALSHA without and with auto-pipelining; medians ${f(r.evalshaPlainPerSec)}/s and ${f(r.evalshaPipelinedPerSec)}/s)`,
  );
  console.log(
    `(dialogs not assigned by their own cycle: arrival ${f(r.arrivalUnassigned)}, from queue ${f(r.stepsUnassigned)}; left queued: ${f(r.arrivalLeft)} / ${f(r.stepsLeft)})\n`,
  );
  for (const [path, label] of STORE_PATHS) {
    const vsBull = r[`${path}ToBullmq`] ?? 0;
    const vsEval = r[`${path}ToEvalsha`] ?? 0;
    console.log(
      `${label.padEnd(10)}: store / BullMQ = ${vsBull.toFixed(2)}x (target >= 2x) ${vsBull >= 2 ? 'MET' : 'MISSED'};` +
        ` store / EVALSHA = ${(vsEval * 100).toFixed(0)}% (target >= 30%) ${vsEval >= 0.3 ? 'MET' : 'MISSED'}`,
    );
  }
  console.log('');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const url = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const dialogs = Number(process.argv[2] ?? 10_000);
  const concurrency = Number(process.env.BENCH_STORE_CONCURRENCY ?? DEFAULT_CONCURRENCY);
  benchRoutingStore(url, { dialogs, concurrency })
    .then((result) => {
      printRoutingStoreTable(result);
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
