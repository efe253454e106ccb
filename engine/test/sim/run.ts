import { runInWorkers } from './parallel';
import { describeFailure, PLANTS, type Plant, type SimResult, SQL_COUNTS, Simulation } from './simulation';

/**
 * `npm run sim`: the long run. SIM_SEED=<n> replays one seed in this process (SIM_EVENTS events,
 * default 20,000); otherwise SIM_SEEDS seeds from SIM_FIRST_SEED (default 1) with SIM_EVENTS events
 * each, in SIM_WORKERS child processes (default 2, one per core). SIM_PLANT=<bug> plants a bug by
 * hand, SIM_DATABASE=pglite runs on PGlite (docs/simulation.md). Exit code 1 when a seed fails.
 */
const plantName = process.env.SIM_PLANT;
const plant: Plant | null = PLANTS.find((p) => p === plantName) ?? null;
if (plantName && !plant) {
  console.error(`SIM_PLANT must be one of ${PLANTS.join(', ')}`);
  process.exit(2);
}
const keepGoing = process.env.SIM_KEEP_GOING === '1';
const events = Number(process.env.SIM_EVENTS ?? 20_000);
const workers = Number(process.env.SIM_WORKERS ?? 2);
const seeds = process.env.SIM_SEED
  ? [Number(process.env.SIM_SEED)]
  : Array.from(
      { length: Number(process.env.SIM_SEEDS ?? 20) },
      (_, i) => Number(process.env.SIM_FIRST_SEED ?? 1) + i,
    );

let failed = 0;
let total = 0;
const started = Date.now();

function report(result: SimResult) {
  total += result.events;
  const rate = ((result.events / result.elapsedMs) * 1000).toFixed(0);
  console.log(
    `seed ${result.seed}${plant ? ` (planted: ${plant})` : ''}: ${result.events} events, ${(result.virtualMs / 3_600_000).toFixed(1)} h virtual, ` +
      `${(result.elapsedMs / 1000).toFixed(1)} s (${rate} events/s, ${result.database}, ${perEvent(result.queries.events, result.events)} + ${perEvent(result.queries.checks, result.events)} queries/event), ` +
      `log ${result.fingerprint}: ${result.failure ? 'FAILED' : 'ok'}`,
  );
  if (result.failure) failed += 1;
  if (result.failure && !keepGoing) console.log(describeFailure(result.failure));
  for (const [kind, { first, checks }] of result.kinds) {
    console.log(`  ${kind}: failed ${checks} checks, first at event ${first.index}`);
    console.log(describeFailure({ ...first, tail: first.tail.slice(-8) }).replace(/^/gm, '    '));
  }
}

if (seeds.length === 1 || workers <= 1) {
  for (const seed of seeds) report(await new Simulation({ seed, events, plant, keepGoing }).run());
} else {
  await runInWorkers(
    seeds.map((seed) => ({ seed, events, plant, keepGoing })),
    workers,
    ({ result }) => report(result),
  );
}
if (process.env.SIM_QLOG)
  for (const [sql, count] of [...SQL_COUNTS].sort((a, b) => b[1] - a[1]).slice(0, 40))
    console.log(count, sql);
console.log(
  `${seeds.length} seeds, ${total} events in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failed} failed`,
);
process.exit(failed > 0 ? 1 : 0);

function perEvent(queries: number, events: number) {
  return (queries / Math.max(1, events)).toFixed(1);
}
