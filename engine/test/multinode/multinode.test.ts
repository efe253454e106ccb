import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { RedisRoutingStore } from '../../src/routing-store/redis-routing-store';
import { openDatabase } from '../../src/storage/database';
import { backendsAvailable } from '../support/engine';
import { clusterEnv, type EngineProcess, startCluster } from '../support/engine-process';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { deleteKeys, TEST_REDIS_URL, testRedis } from '../support/redis';
import { CpuHog } from './cpu-hog';
import { checkRoutingState } from './invariants';
import { LivenessMonitor, type LivenessReport, summarizeLiveness } from './liveness';
import { type LoadSetup, percentile, prepareLoad, runLoad } from './load-driver';

// The full size runs in CI (5,000 dialogs took about 2 min here); MULTINODE_DIALOGS changes it.
const OPERATORS = Number(process.env.MULTINODE_OPERATORS ?? 200);
const DIALOGS = Number(process.env.MULTINODE_DIALOGS ?? 5000);
const SEED = Number(process.env.MULTINODE_SEED ?? 20261125);
/** The liveness bound T (ms): a few seconds plus the timer poll. */
const LIVENESS_T_MS = Number(process.env.LIVENESS_T_MS ?? 5000);
const HOG = CpuHog.requested(0);

describe(`three engine processes on one Redis and Postgres (${OPERATORS} operators, ${DIALOGS} dialogs)`, function () {
  this.timeout(900_000);
  const schema = freshSchema();
  const prefix = `hltest-${schema}`;
  const dir = mkdtempSync(join(tmpdir(), 'hotline-multinode-'));
  const nodes: EngineProcess[] = [];
  let redis: Redis;
  let setup: LoadSetup;
  let hog: CpuHog | null = null;

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    hog = CpuHog.start(HOG);
    await hog.warmUp();
    redis = await testRedis();
    setup = await prepareLoad({
      dir,
      databaseUrl: TEST_DATABASE_URL,
      schema,
      operators: OPERATORS,
      groups: 5,
      seed: SEED,
    });
    const env = clusterEnv({
      databaseUrl: TEST_DATABASE_URL,
      schema,
      redisUrl: TEST_REDIS_URL,
      prefix,
      configPath: setup.configPath,
    });
    nodes.push(...(await startCluster(env, ['node-a', 'node-b', 'node-c'])));
  });

  after(async () => {
    hog?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    if (redis) {
      await deleteKeys(redis, `${prefix}*`);
      redis.disconnect();
    }
    await dropSchema(schema).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('when visitors and operators hit all nodes at once, then nobody exceeds his limit, no dialog is held twice and none is lost', async () => {
    let checks = 0;
    const violations: string[] = [];
    // L1–L4 beside the safety checks; the driver's operators stay connected for the whole load.
    const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '', schema });
    const operatorIds = (await database.db('operators').select<{ id: string }[]>('id')).map((o) => o.id);
    const liveness = new LivenessMonitor(database.db, new RedisRoutingStore(redis, { prefix }), {
      boundMs: LIVENESS_T_MS,
      presenceGraceMs: 15_000,
    });
    const livenessFailures: LivenessReport['violations'] = [];
    let livenessChecks = 0;
    let livenessRunning: Promise<void> | null = null;
    const stats = await runLoad({
      urls: nodes.map((n) => n.url),
      setup,
      dialogs: DIALOGS,
      concurrency: 24,
      seed: SEED,
      checkEvery: 25,
      check: async () => {
        checks += 1;
        violations.push(...(await checkRoutingState(redis, prefix, setup.groups)).violations);
        // One liveness check at a time (it reads every open dialog); skipped while one runs.
        livenessRunning ??= liveness
          .check({ now: Date.now(), connected: new Set(operatorIds) })
          .then((report) => {
            livenessChecks += 1;
            livenessFailures.push(...report.violations);
          })
          .finally(() => {
            livenessRunning = null;
          });
      },
    });
    await livenessRunning;
    // Once more after the load, before the operators' grace runs out.
    const last = await liveness.check({ now: Date.now(), connected: new Set(operatorIds) });
    livenessChecks += 1;
    livenessFailures.push(...last.violations);
    await database.close();
    const livenessSummary = summarizeLiveness(livenessFailures);
    expect(violations, violations.slice(0, 5).join('\n')).to.deep.equal([]);

    // Quiet down: wait until no node is still assigning.
    let previous = '';
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const snapshot = await checkRoutingState(redis, prefix, setup.groups);
      const fingerprint = `${snapshot.queued.size}/${snapshot.held.size}`;
      if (fingerprint === previous) break;
      previous = fingerprint;
    }

    // A transition may still be between its Redis step and its commit: compare until it settles.
    let final = await checkRoutingState(redis, prefix, setup.groups);
    let comparison = await compareWithDatabase(schema, stats.dialogIds, final);
    for (let attempt = 0; attempt < 10 && comparison.mismatched.length > 0; attempt++) {
      await new Promise((r) => setTimeout(r, 500));
      final = await checkRoutingState(redis, prefix, setup.groups);
      comparison = await compareWithDatabase(schema, stats.dialogIds, final);
    }
    expect(final.violations).to.deep.equal([]);
    const { counts, lost, mismatched, emailOf } = comparison;

    // Nobody with room stays idle while his group has a queue.
    const store = new RedisRoutingStore(redis, { prefix });
    const idleWithQueue: string[] = [];
    for (const groupId of setup.groups) {
      const queue = await store.queue(groupId);
      expect(
        queue.map((q) => q.position),
        `positions in ${groupId}`,
      ).to.deep.equal(queue.map((_, i) => i + 1));
      if (queue.length === 0) continue;
      for (const operator of await store.listOperators(groupId)) {
        if (operator.status === 'online' && operator.load < operator.limit)
          idleWithQueue.push(`${operator.operatorId} in ${groupId}`);
      }
    }
    const overLimit = [...final.loads].filter(([, l]) => l.load > l.limit).map(([id]) => emailOf.get(id));

    console.log(
      `      ${stats.started} dialogs started (${stats.startFailures} start failures) in ${(stats.elapsedMs / 1000).toFixed(1)} s` +
        ` = ${((stats.started / stats.elapsedMs) * 1000).toFixed(0)} dialogs/s; ${stats.closes} closes, ${stats.transfers} transfers,` +
        ` ${stats.presenceFlips} presence flips, ${stats.rejected} refused (stale client view); ${checks} invariant checks.\n` +
        `      final states: ${JSON.stringify(counts)}; lost: ${lost.length}; held twice: 0; over limit: ${overLimit.length};` +
        ` DB/Redis mismatches: ${mismatched.length}; idle operators beside a queue: ${idleWithQueue.length}\n` +
        `      liveness (T = ${LIVENESS_T_MS} ms): ${livenessChecks} checks, violations ${livenessSummary.line}\n` +
        livenessSummary.firsts.map((f) => `        first ${f}\n`).join('') +
        `      ${hog?.describe()}\n` +
        `      visitor start → operator's dialog:assigned: p50 ${percentile(stats.assignLatencies, 50)} ms, p99 ${percentile(stats.assignLatencies, 99)} ms (${stats.assignLatencies.length} samples)`,
    );
    expect(stats.startFailures).to.equal(0);
    expect(lost).to.deep.equal([]);
    expect(mismatched.slice(0, 5)).to.deep.equal([]);
    expect(overLimit).to.deep.equal([]);
    expect(idleWithQueue.slice(0, 5)).to.deep.equal([]);
    expect(livenessFailures.slice(0, 5), 'liveness (L1–L4) violations').to.deep.equal([]);
  });
});

async function compareWithDatabase(
  schema: string,
  dialogIds: string[],
  final: Awaited<ReturnType<typeof checkRoutingState>>,
) {
  const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '', schema });
  const rows = await database
    .db('dialogs')
    .select<{ id: string; state: string; operator_id: string | null; group_id: string }[]>(
      'id',
      'state',
      'operator_id',
      'group_id',
    );
  const operatorIds = await database.db('operators').select<{ id: string; email: string }[]>('id', 'email');
  await database.close();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const counts: Record<string, number> = {};
  const lost: string[] = [];
  const mismatched: string[] = [];
  for (const dialogId of dialogIds) {
    const row = byId.get(dialogId);
    if (!row) {
      lost.push(dialogId);
      continue;
    }
    counts[row.state] = (counts[row.state] ?? 0) + 1;
    if (row.state === 'queued' && final.queued.get(row.id) !== row.group_id)
      mismatched.push(`${row.id} queued in DB, not in its Redis queue`);
    if ((row.state === 'assigned' || row.state === 'active') && final.held.get(row.id) !== row.operator_id) {
      mismatched.push(`${row.id} held by ${row.operator_id} in DB, ${final.held.get(row.id)} in Redis`);
    }
    if (!['queued', 'offered'].includes(row.state) && final.queued.has(row.id))
      mismatched.push(`${row.id} ${row.state} but still queued`);
    if (!['assigned', 'active', 'offered'].includes(row.state) && final.held.has(row.id))
      mismatched.push(`${row.id} ${row.state} but still held`);
  }
  return { counts, lost, mismatched, emailOf: new Map(operatorIds.map((o) => [o.id, o.email])) };
}
