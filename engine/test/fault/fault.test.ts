import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import type { DialogContext } from '../../src/dialog/dialog-machine';
import type { VisitorDialogView, VisitorSession } from '@hotline/protocol';
import { routingKeys } from '../../src/routing-store/redis-keys';
import { openDatabase } from '../../src/storage/database';
import type { OperatorSocket, VisitorSocket } from '../support/clients';
import { backendsAvailable } from '../support/engine';
import { clusterEnv, type EngineProcess, startCluster, startEngineProcess } from '../support/engine-process';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { deleteKeys, TEST_REDIS_URL, testRedis } from '../support/redis';
import { CpuHog } from '../multinode/cpu-hog';
import { checkRoutingState } from '../multinode/invariants';
import { LivenessMonitor, type LivenessReport, summarizeLiveness } from '../multinode/liveness';
import { RedisRoutingStore } from '../../src/routing-store/redis-routing-store';
import { callWithin, errorCode, FaultLoad, type FaultSetup, prepareFaultLoad } from './chaos-load';
import { type StickyProxy, startStickyProxy } from './sticky-proxy';

const OPERATORS = Number(process.env.FAULT_OPERATORS ?? 60);
const DIALOGS = Number(process.env.FAULT_DIALOGS ?? 600);
const RATE = Number(process.env.FAULT_RATE ?? 12);
const SEED = Number(process.env.FAULT_SEED ?? 20261201);
const STOP_POSTGRES = process.env.FAULT_STOP_POSTGRES === '1';
const RESTART_REDIS = process.env.FAULT_RESTART_REDIS === '1';
const OUTAGE_MS = Number(process.env.FAULT_PG_OUTAGE_MS ?? 8000);
const ACK_TIMEOUT_MS = 10_000;
/** A reply due this long before the end must have been sent (timer poll + lease + reconcile, with room). */
const DUE_GRACE_MS = 6000;
/** The liveness bound T (ms) of L1–L4. */
// The bound T of L1–L4 here. README's T for repairs after a fault is 2 × RECONCILE_INTERVAL_MS +
// TIMER_LEASE_MS + TIMER_POLL_MS (≈ 20 s with the defaults); this test runs shorter intervals but on a CPU
// starved 4–5 times over, where one reconcile pass over hundreds of dialogs takes seconds: it checks 15 s.
const LIVENESS_T_MS = Number(process.env.LIVENESS_T_MS ?? 15_000);
/** CPU hog processes (issue 12: the test must pass on a starved machine); on by default in CI. */
// In CI the hog keeps the 1-minute load average at 8+ on 2 cores (7 busy processes beside 3 engines).
const HOG = CpuHog.requested(7);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => console.log(`      ${line}`);

async function readyStatus(url: string): Promise<number> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(4000) });
    return response.status;
  } catch {
    return 0;
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const began = Date.now();
  while (Date.now() - began < timeoutMs) {
    if (await check()) return Date.now() - began;
    await sleep(200);
  }
  return null;
}

const pgCluster = () => ['--skip-systemctl-redirect', readdirSync('/etc/postgresql')[0] ?? '15', 'main'];

describe(`fault test: 3 engines behind a sticky proxy, kill -9, Redis emptied, Postgres stopped (${OPERATORS} operators, ${DIALOGS} dialogs)`, function () {
  this.timeout(900_000);
  const schema = freshSchema();
  const prefix = `hltest-${schema}`;
  const dir = mkdtempSync(join(tmpdir(), 'hotline-fault-'));
  const nodes: EngineProcess[] = [];
  const crashed = new Set<EngineProcess>();
  const diedOnTheirOwn: EngineProcess[] = [];
  let redis: Redis;
  let setup: FaultSetup;
  let proxy: StickyProxy;
  let env: Record<string, string>;
  let postgresStopped = false;
  let hog: CpuHog | null = null;

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    hog = CpuHog.start(HOG);
    await hog.warmUp();
    redis = await testRedis();
    setup = await prepareFaultLoad({
      dir,
      databaseUrl: TEST_DATABASE_URL,
      schema,
      operators: OPERATORS,
      staffedGroups: 4,
      unstaffedGroups: 2,
      seed: SEED,
    });
    env = clusterEnv(
      {
        databaseUrl: TEST_DATABASE_URL,
        schema,
        redisUrl: TEST_REDIS_URL,
        prefix,
        configPath: setup.configPath,
      },
      {
        PRESENCE_GRACE_MS: '15000',
        RECONCILE_INTERVAL_MS: '1000',
        TIMER_LEASE_MS: '1500',
        TIMER_POLL_MS: '250',
        SHUTDOWN_TIMEOUT_MS: '2000',
      },
    );
    nodes.push(...(await startCluster(env, ['node-a', 'node-b', 'node-c'])));
    proxy = await startStickyProxy(nodes.map((n) => n.url));
  });

  after(async () => {
    hog?.stop();
    if (postgresStopped) execFileSync('pg_ctlcluster', [...pgCluster(), 'start']);
    await proxy?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    if (redis) {
      await deleteKeys(redis, `${prefix}*`).catch(() => undefined);
      redis.disconnect();
    }
    await dropSchema(schema).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('when a node is killed, Redis is emptied and Postgres stops mid-load, then no dialog is lost or held twice, nobody is over limit and each due offline reply is sent once', async () => {
    const keys = routingKeys(prefix, 'default');
    const load = new FaultLoad({
      url: proxy.url,
      setup,
      seed: SEED,
      unstaffedShare: 0.3,
      ackTimeoutMs: ACK_TIMEOUT_MS,
      giveUpAfterMs: 120_000,
    });
    await load.connectOperators();

    // Invariants of the Redis state, every ~500 ms, except while it is known to be absent or rebuilding.
    const violations: { window: string; text: string }[] = [];
    let checks = 0;
    let skippedChecks = 0;
    let checking = true;
    // L1–L4 from Postgres and Redis at the same pace, skipped while the state is absent or Postgres is down.
    const livenessDb = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '', schema });
    const idOfEmail = new Map(
      (await livenessDb.db('operators').select<{ id: string; email: string }[]>('id', 'email')).map((o) => [
        o.email,
        o.id,
      ]),
    );
    const liveness = new LivenessMonitor(livenessDb.db, new RedisRoutingStore(redis, { prefix }), {
      boundMs: LIVENESS_T_MS,
      presenceGraceMs: 15_000,
    });
    const livenessFailures: (LivenessReport['violations'][number] & { window: string })[] = [];
    let livenessChecks = 0;
    let livenessSkipped = 0;
    const connectedIds = () => new Set([...load.connectedEmails()].map((e) => idOfEmail.get(e) ?? e));
    const checkLiveness = async () => {
      try {
        if (!(await redis.exists(keys.epoch))) {
          livenessSkipped += 1;
          return;
        }
        const report = await liveness.check({ now: Date.now(), connected: connectedIds() });
        livenessChecks += 1;
        for (const v of report.violations) livenessFailures.push({ ...v, window: load.window });
      } catch {
        livenessSkipped += 1; // Postgres or Redis down
      }
    };
    const checker = (async () => {
      while (checking) {
        await sleep(500);
        try {
          const before = await redis.exists(keys.epoch);
          const snapshot = await checkRoutingState(redis, prefix, setup.groups);
          const after = await redis.exists(keys.epoch);
          if (!before || !after) {
            skippedChecks += 1;
            continue;
          }
          checks += 1;
          for (const text of snapshot.violations) violations.push({ window: load.window, text });
          await checkLiveness();
        } catch {
          skippedChecks += 1; // Redis restarting
        }
      }
    })();

    const windows: string[] = [];
    const notes: string[] = [];
    const outage: Record<string, string | number | null> = {};
    let chaosDone = false;
    const began = Date.now();
    const phase = (name: string) => {
      load.window = name;
      windows.push(name);
      say(
        `[${((Date.now() - began) / 1000).toFixed(1)} s] ${name} (${load.acked.size} dialogs acknowledged so far)`,
      );
    };

    const chaos = (async () => {
      try {
        phase('warmup');
        await sleep(6000);

        // (a) kill -9 one node mid-load; a replacement (new port, as a new pod) joins the proxy.
        phase('kill -9 node-b');
        const victim = nodes[1]!;
        await victim.crash();
        crashed.add(victim);
        const replacement = await startEngineProcess({ ...env, NODE_ID: 'node-d' });
        nodes.push(replacement);
        proxy.setBackends(nodes.filter((n) => !crashed.has(n)).map((n) => n.url));
        await sleep(6000);

        // (b) Redis loses everything.
        phase(RESTART_REDIS ? 'redis restarted empty' : 'redis emptied');
        const wipedAt = Date.now();
        if (RESTART_REDIS) {
          const { hostname, port } = new URL(TEST_REDIS_URL);
          execFileSync('redis-cli', ['-h', hostname, '-p', port || '6379', 'shutdown', 'nosave']);
          await sleep(500);
          execFileSync('redis-server', [
            '--daemonize',
            'yes',
            '--bind',
            hostname,
            '--port',
            port || '6379',
            '--save',
            '',
            '--appendonly',
            'no',
          ]);
        } else {
          await deleteKeys(redis, `${prefix}*`);
        }
        const rebuiltIn = await waitFor(
          async () => (await redis.exists(keys.epoch).catch(() => 0)) === 1,
          30_000,
        );
        outage.redisRebuiltMs = rebuiltIn === null ? null : Date.now() - wipedAt;
        await sleep(6000);

        // (c) Postgres stops and starts.
        if (!STOP_POSTGRES) {
          phase('postgres (skipped)');
          notes.push(
            'Postgres stop/start skipped: set FAULT_STOP_POSTGRES=1 (stops the shared server for a few seconds)',
          );
          return;
        }
        phase('postgres stopped');
        const live = nodes.filter((n) => !crashed.has(n));
        // A visitor already connected, and an operator's token, before the outage.
        const probe: VisitorSocket = io(`${proxy.url}/visitor`, {
          auth: { siteId: 'demo' },
          query: { hl_sticky: 'probe-visitor' },
          transports: ['websocket'],
          forceNew: true,
        });
        await new Promise<void>((resolve, reject) => {
          probe.once('connect', () => resolve());
          probe.once('connect_error', reject);
        });
        const probeToken = (await callWithin<VisitorSession>(probe, 'session:resume', {}, ACK_TIMEOUT_MS))
          .visitorToken;
        const operatorToken = await load.login(setup.operators[0]!.email);

        execFileSync('pg_ctlcluster', [...pgCluster(), 'stop']);
        postgresStopped = true;
        const stoppedAt = Date.now();
        const all503 = await waitFor(
          async () => (await Promise.all(live.map((n) => readyStatus(n.url)))).every((s) => s === 503),
          10_000,
        );
        outage.readyz503AfterMs = all503;

        const t0 = Date.now();
        try {
          await callWithin<VisitorDialogView>(
            probe,
            'dialog:start',
            {
              choice: { groupId: setup.staffed[0] },
              page: { url: 'http://probe/' },
              message: { clientMessageId: crypto.randomUUID(), body: 'anyone?' },
            },
            ACK_TIMEOUT_MS,
          );
          outage.startDuringOutage = 'accepted (unexpected)';
        } catch (error) {
          outage.startDuringOutage = errorCode(error);
        }
        outage.startAckMs = Date.now() - t0;

        // An operator (re)connecting during the outage: refused, and no node may fall over.
        const late: OperatorSocket = io(`${proxy.url}/operator`, {
          auth: { token: operatorToken },
          query: { hl_sticky: 'probe-operator' },
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          timeout: ACK_TIMEOUT_MS,
        });
        outage.operatorHandshakeDuringOutage = await new Promise<string>((resolve) => {
          const done = (what: string) => {
            clearTimeout(timer);
            resolve(what);
          };
          const timer = setTimeout(() => done(`no answer within ${ACK_TIMEOUT_MS} ms`), ACK_TIMEOUT_MS);
          late.once('connect', () => done('connected'));
          late.once('connect_error', (error) => done(`connect_error: ${error.message}`));
          late.io.once('close', (reason) => setImmediate(() => done(`connection closed: ${reason}`)));
        });
        late.close();

        await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
        execFileSync('pg_ctlcluster', [...pgCluster(), 'start']);
        postgresStopped = false;
        const startedAt = Date.now();
        phase('postgres back');
        // Nodes that died by themselves are restarted, as Kubernetes restarts a crashed container, so
        // the remaining checks still mean something; each one is reported and fails the test.
        const died = nodes.filter((n) => !crashed.has(n) && n.child.exitCode !== null);
        outage.nodesDiedDuringOutage = died.length;
        for (const n of died) {
          diedOnTheirOwn.push(n);
          crashed.add(n);
          nodes.push(await startEngineProcess({ ...env, NODE_ID: `node-r${nodes.length}` }));
        }
        proxy.setBackends(nodes.filter((n) => !crashed.has(n)).map((n) => n.url));
        const survivors = nodes.filter((n) => !crashed.has(n));
        outage.readyz200AfterMs = await waitFor(
          async () =>
            (
              await Promise.all(
                survivors.filter((n) => n.child.exitCode === null).map((n) => readyStatus(n.url)),
              )
            ).every((s) => s === 200),
          30_000,
        );
        // The same visitor, same socket or a new one with his token, can start now.
        outage.startAfterReturnMs = await waitFor(async () => {
          const socket: VisitorSocket = io(`${proxy.url}/visitor`, {
            auth: { siteId: 'demo', visitorToken: probeToken },
            query: { hl_sticky: 'probe-visitor' },
            transports: ['websocket'],
            forceNew: true,
            reconnection: false,
          });
          try {
            await new Promise<void>((resolve, reject) => {
              socket.once('connect', () => resolve());
              socket.once('connect_error', reject);
            });
            await callWithin(
              socket,
              'dialog:start',
              {
                choice: { groupId: setup.unstaffed[0] },
                page: { url: 'http://probe/' },
                message: { clientMessageId: crypto.randomUUID(), body: 'back?' },
              },
              ACK_TIMEOUT_MS,
            );
            return true;
          } catch {
            return false;
          } finally {
            socket.close();
          }
        }, 30_000);
        outage.postgresDownMs = startedAt - stoppedAt;
        probe.close();
        await sleep(4000);
      } finally {
        if (postgresStopped) {
          execFileSync('pg_ctlcluster', [...pgCluster(), 'start']);
          postgresStopped = false;
        }
        phase('after');
        await sleep(3000);
        chaosDone = true;
      }
    })();

    const loadStartedAt = Date.now();
    await load.run({
      dialogs: DIALOGS,
      arrivalsPerSecond: RATE,
      operatorWorkers: 6,
      keepGoing: () => !chaosDone,
    });
    await chaos; // rethrows a failure of the chaos script itself
    const loadEndedAt = Date.now();

    // Nodes that died without being killed.
    const unexpectedDeaths = [
      ...diedOnTheirOwn,
      ...nodes.filter((n) => !crashed.has(n) && n.child.exitCode !== null),
    ];
    for (const n of unexpectedDeaths) {
      const tail = n
        .output()
        .split('\n')
        .filter((l) => /triggerUncaughtException|^Error|code: '|Node\.js v/.test(l))
        .slice(-4)
        .join(' | ');
      say(`UNEXPECTED EXIT of ${n.url} (code ${n.child.exitCode}): ${tail}`);
    }

    // Settle: offline replies due before the end fired, DB and Redis agree.
    const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '', schema });
    const db = database.db;
    const ackedIds = [...load.acked.keys()];
    type Row = {
      id: string;
      state: string;
      operator_id: string | null;
      group_id: string | null;
      visitor_id: string;
      snapshot: unknown;
      created_at: Date;
    };
    const readRows = async () =>
      await db('dialogs').select<Row[]>(
        'id',
        'state',
        'operator_id',
        'group_id',
        'visitor_id',
        'snapshot',
        'created_at',
      );
    const ctx = (row: Row) =>
      (typeof row.snapshot === 'string' ? JSON.parse(row.snapshot) : row.snapshot) as {
        value: string;
        context: DialogContext;
      };
    const overdueOffline = (rows: Row[], now: number) =>
      rows.filter((r) => {
        const timers = Object.entries(ctx(r).context.timers).filter(
          ([key]) => key === 'offline-reply' || key.startsWith('offline-reply:'),
        );
        return timers.some(([, timer]) => timer.dueAt < now - DUE_GRACE_MS);
      });
    await waitFor(async () => overdueOffline(await readRows(), Date.now()).length === 0, 20_000);

    let comparison = await compare(db, ackedIds, await checkRoutingState(redis, prefix, setup.groups));
    for (let attempt = 0; attempt < 30 && comparison.mismatched.length > 0; attempt++) {
      await sleep(500);
      comparison = await compare(db, ackedIds, await checkRoutingState(redis, prefix, setup.groups));
    }
    const final = await checkRoutingState(redis, prefix, setup.groups);
    const rows = await readRows();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const checkedAt = Date.now();

    // Lost, stuck, duplicated dialogs.
    const lost = ackedIds.filter((id) => !byId.has(id));
    const stuckCreated = ackedIds.filter((id) => byId.get(id)?.state === 'created');
    const ackedVisitors = new Set(ackedIds.map((id) => byId.get(id)?.visitor_id));
    const dialogsPerVisitor = new Map<string, number>();
    for (const r of rows) dialogsPerVisitor.set(r.visitor_id, (dialogsPerVisitor.get(r.visitor_id) ?? 0) + 1);
    const duplicateStarts = [...ackedVisitors].filter((v) => v && (dialogsPerVisitor.get(v) ?? 0) > 1);
    const unackedRows = rows.filter((r) => !load.acked.has(r.id));

    // Held twice: in the Redis snapshots, between DB and Redis, and in the operators' own lists.
    const holdings = await load.holdings().catch((error) => {
      say(`operators' dialogs:list failed: ${errorCode(error)}`);
      return new Map<string, string[]>();
    });
    const holderOf = new Map<string, string>();
    const heldByTwoInViews: string[] = [];
    for (const [email, ids] of holdings) {
      for (const id of ids) {
        if (holderOf.has(id)) heldByTwoInViews.push(`${id}: ${holderOf.get(id)} and ${email}`);
        holderOf.set(id, email);
      }
    }
    const heldTwiceRedis = [...violations.map((v) => v.text), ...final.violations].filter(
      (t) => / held by .* and /.test(t) || /held record says/.test(t),
    );
    const heldTwiceDbRedis = comparison.mismatched.filter((m) =>
      / held by .* in DB, [0-9a-f-]{36} in Redis/.test(m),
    );

    // Over limit: Redis loads (during and after) and Postgres holdings against the configured limits.
    const limitOf = new Map(setup.operators.map((o) => [o.email, o.limit]));
    const emailOf = new Map(
      (await db('operators').select<{ id: string; email: string }[]>('id', 'email')).map((o) => [
        o.id,
        o.email,
      ]),
    );
    const dbLoad = new Map<string, number>();
    for (const r of rows)
      if ((r.state === 'assigned' || r.state === 'active') && r.operator_id)
        dbLoad.set(r.operator_id, (dbLoad.get(r.operator_id) ?? 0) + 1);
    const overLimitDb = [...dbLoad]
      .filter(([id, n]) => n > (limitOf.get(emailOf.get(id) ?? '') ?? 0))
      .map(([id, n]) => `${emailOf.get(id)} holds ${n}`);
    const overLimitRedis = [...violations.map((v) => v.text), ...final.violations].filter((t) =>
      /> limit/.test(t),
    );

    // Offline replies.
    const enteredOffline = new Set(
      (
        await db('dialog_events')
          .where({ to_state: 'offline' })
          .distinct<{ dialog_id: string }[]>('dialog_id')
      ).map((e) => e.dialog_id),
    );
    // One reply per offline period (`offline-reply`, then `offline-reply:<offlineSince>`): a key twice is a duplicate.
    const replyRows = await db('messages')
      .where({ auto_kind: 'offline-reply' })
      .groupBy('dialog_id')
      .select<{ dialog_id: string; n: string; keys: string }[]>(
        'dialog_id',
        db.raw('count(*) as n'),
        db.raw('count(distinct auto_key) as keys'),
      );
    const replies = new Map(replyRows.map((m) => [m.dialog_id, Number(m.n)]));
    const duplicateReplies = replyRows
      .filter((m) => Number(m.n) > Number(m.keys))
      .map((m) => `${m.dialog_id}: ${m.n} offline replies for ${m.keys} offline periods`);
    const due: string[] = [];
    const missingReplies: string[] = [];
    for (const id of enteredOffline) {
      const row = byId.get(id);
      if (!row) continue;
      const { value, context } = ctx(row);
      const isReply = (key: string) => key === 'offline-reply' || key.startsWith('offline-reply:');
      const fired = context.fired.some(isReply);
      const pending = Object.entries(context.timers).find(([key]) => isReply(key))?.[1];
      const stillOfflineSince =
        value === 'offline' && context.firstVisitorMessageAt !== null
          ? context.firstVisitorMessageAt + 1000
          : null;
      const wasDue =
        fired ||
        (pending !== undefined && pending.dueAt < checkedAt - DUE_GRACE_MS) ||
        (stillOfflineSince !== null && stillOfflineSince < checkedAt - DUE_GRACE_MS);
      if (!wasDue) continue;
      due.push(id);
      if ((replies.get(id) ?? 0) === 0)
        missingReplies.push(
          `${id}: ${value}, fired=${fired}, pending=${pending ? new Date(pending.dueAt).toISOString() : 'none'}`,
        );
    }
    const unstaffedAcked = ackedIds.filter(
      (id) =>
        setup.unstaffed.includes(load.acked.get(id)!.groupId) &&
        load.acked.get(id)!.ackedAt < checkedAt - DUE_GRACE_MS,
    );
    const unstaffedWithoutReply = unstaffedAcked.filter((id) => (replies.get(id) ?? 0) !== 1);

    const states: Record<string, number> = {};
    for (const id of ackedIds) {
      const state = byId.get(id)?.state ?? 'LOST';
      states[state] = (states[state] ?? 0) + 1;
    }
    await database.close();
    checking = false;
    await checker;
    await checkLiveness(); // after settling: every condition older than T counts
    await livenessDb.close();

    const show = (items: string[]) => items.slice(0, 5).join('\n');
    say(
      `load: ${load.stats.requested} visitors, ${ackedIds.length} dialogs acknowledged (${load.stats.retried} after retries, ${load.stats.givenUp} gave up) ` +
        `in ${((loadEndedAt - loadStartedAt) / 1000).toFixed(0)}s; ${load.stats.closes} closes, ${load.stats.transfers} transfers, ${load.stats.presenceFlips} presence flips, ` +
        `${load.stats.operatorReconnects} operator reconnects; proxy: ${JSON.stringify(proxy.stats)}`,
    );
    say(`chaos windows: ${windows.join(' → ')}`);
    for (const w of windows) {
      const errs = load.errors.get(w);
      say(
        `  ack/connect errors in "${w}": ${errs ? [...errs].map(([k, n]) => `${k}=${n}`).join(', ') : 'none'}`,
      );
    }
    if (Object.keys(outage).length > 0) say(`outages: ${JSON.stringify(outage)}`);
    for (const note of notes) say(`note: ${note}`);
    say(`final states of acknowledged dialogs: ${JSON.stringify(states)}`);
    say(
      `dialogs acknowledged ${ackedIds.length}, found in Postgres ${ackedIds.length - lost.length}, LOST ${lost.length}, stuck in 'created' ${stuckCreated.length}, ` +
        `second dialog for one visitor ${duplicateStarts.length}, rows not acknowledged ${unackedRows.length}`,
    );
    say(
      `held by two operators: Redis snapshots ${heldTwiceRedis.length}, DB vs Redis ${heldTwiceDbRedis.length}, operators' own lists ${heldByTwoInViews.length}`,
    );
    say(
      `over limit: Redis ${overLimitRedis.length}, Postgres ${overLimitDb.length}; invariant checks ${checks} (+${skippedChecks} skipped while the state was absent), violations ${violations.length}`,
    );
    say(`DB/Redis mismatches after settling: ${comparison.mismatched.length}`);
    say(
      `offline: ${enteredOffline.size} dialogs entered it, reply due for ${due.length}, sent once ${due.length - missingReplies.length - duplicateReplies.length}, ` +
        `MISSING ${missingReplies.length}, DUPLICATED ${duplicateReplies.length}; unstaffed-group dialogs without exactly one reply: ${unstaffedWithoutReply.length}/${unstaffedAcked.length}`,
    );
    say(`unexpected node exits: ${unexpectedDeaths.length}`);
    const livenessSummary = summarizeLiveness(livenessFailures);
    say(
      `liveness (T = ${LIVENESS_T_MS} ms): ${livenessChecks} checks (+${livenessSkipped} skipped while the state was absent or a backend down), ` +
        `violations ${livenessSummary.line}`,
    );
    for (const first of livenessSummary.firsts) say(`  first ${first}`);
    say(hog?.describe() ?? 'no hog');
    if (violations.length)
      say(`violations (first 5): ${show(violations.map((v) => `[${v.window}] ${v.text}`))}`);
    if (comparison.mismatched.length) say(`mismatches (first 5): ${show(comparison.mismatched)}`);
    if (missingReplies.length) say(`missing replies (first 5): ${show(missingReplies)}`);
    if (stuckCreated.length) say(`stuck (first 5): ${show(stuckCreated)}`);

    load.close();
    expect(
      unexpectedDeaths.map((n) => n.url),
      'engine processes that died on their own',
    ).to.deep.equal([]);
    expect(lost, 'acknowledged dialogs missing from Postgres').to.deep.equal([]);
    expect(stuckCreated.slice(0, 5), 'acknowledged dialogs never routed (still created)').to.deep.equal([]);
    expect(duplicateStarts.length, 'visitors with a second dialog from a retried start').to.equal(0);
    expect(load.stats.givenUp, 'visitors who gave up').to.equal(0);
    expect(heldTwiceRedis.slice(0, 5)).to.deep.equal([]);
    expect(heldTwiceDbRedis.slice(0, 5)).to.deep.equal([]);
    expect(heldByTwoInViews.slice(0, 5)).to.deep.equal([]);
    expect(overLimitRedis.slice(0, 5)).to.deep.equal([]);
    expect(overLimitDb.slice(0, 5)).to.deep.equal([]);
    expect(violations.slice(0, 5)).to.deep.equal([]);
    expect(comparison.mismatched.slice(0, 5), 'DB/Redis mismatches after settling').to.deep.equal([]);
    expect(duplicateReplies.slice(0, 5)).to.deep.equal([]);
    expect(missingReplies.slice(0, 5)).to.deep.equal([]);
    expect(unstaffedWithoutReply.slice(0, 5)).to.deep.equal([]);
    expect(
      livenessFailures.slice(0, 5).map((v) => `${v.rule} ${v.detail}`),
      'liveness (L1–L4) violations',
    ).to.deep.equal([]);
    if (STOP_POSTGRES) {
      expect(outage.readyz503AfterMs, '/readyz 503 on every node during the outage').to.not.equal(null);
      expect(outage.startDuringOutage, "dialog:start during the outage acks 'unavailable'").to.equal(
        'unavailable',
      );
      expect(outage.startAckMs as number).to.be.below(ACK_TIMEOUT_MS);
      expect(outage.nodesDiedDuringOutage, 'nodes that died during the Postgres outage').to.equal(0);
      expect(outage.readyz200AfterMs, '/readyz 200 again').to.not.equal(null);
      expect(outage.readyz200AfterMs as number).to.be.at.most(15_000);
    }
  });
});

async function compare(
  db: Awaited<ReturnType<typeof openDatabase>>['db'],
  dialogIds: string[],
  final: Awaited<ReturnType<typeof checkRoutingState>>,
) {
  const rows = await db('dialogs')
    .whereIn('id', dialogIds)
    .select<{ id: string; state: string; operator_id: string | null; group_id: string }[]>(
      'id',
      'state',
      'operator_id',
      'group_id',
    );
  const mismatched: string[] = [];
  for (const row of rows) {
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
  return { mismatched };
}
